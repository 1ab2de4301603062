// Tiny DOM builder. Text goes in as text nodes (textContent), never as HTML: item text, labels
// and error messages are user data.

/**
 * h("div", {class: "x", text: "hi", onclick: fn, title: "t"}, child, "text", [more])
 * Props: class, text (textContent), style (object), on<event> (listener), anything else is an
 * attribute (true -> empty attribute, null/false -> left out).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "style") Object.assign(el.style, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** "1:05" for 65.2 seconds. */
export function clock(seconds) {
  const s = Math.max(0, Math.round(Number.isFinite(seconds) ? seconds : 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** A number as a short percentage or fixed-point string. */
export function fixed(x, digits = 2) {
  return Number.isFinite(x) ? x.toFixed(digits) : "–";
}

// Keyboard: the widget root takes focus (tabindex=0) and handles its keys itself. The
// data-lm-suppress-shortcuts attribute makes JupyterLab's command registry ignore keys from
// inside it, and stopPropagation keeps them from the notebook's own listeners, so a digit or
// "a" labels an item instead of inserting a cell. Ctrl/Cmd/Alt combinations stay the browser's
// and JupyterLab's (Ctrl+S still saves).

/** The key of an event, normalized: letters lower-case, "Space" for the space bar. */
export function keyOf(event) {
  if (event.key === " " || event.key === "Spacebar") return "Space";
  return event.key.length === 1 ? event.key.toLowerCase() : event.key;
}

/** Index of the label whose shortcut is `key`, or -1. */
export function labelIndex(shortcuts, key) {
  return key.length === 1 ? shortcuts.indexOf(key) : -1;
}

/**
 * Make `root` focusable and route its keydown events to handler(key, event); the handler
 * returns true when it used the key (default action prevented then). Returns the cleanup.
 */
export function bindKeys(root, handler) {
  root.tabIndex = 0;
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  function onKeydown(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
    event.stopPropagation();
    if (event.key === "Tab") return; // keep focus navigation
    if (handler(keyOf(event), event)) event.preventDefault();
    else if (event.key === "Escape") root.blur(); // hand the keys back to the notebook
  }
  root.addEventListener("keydown", onKeydown);
  return () => root.removeEventListener("keydown", onKeydown);
}

/** A <kbd> caption for a shortcut key. */
export function keyCaption(key) {
  return { ArrowLeft: "←", ArrowRight: "→", Backspace: "⌫", Enter: "⏎", Space: "␣" }[key] ?? key;
}

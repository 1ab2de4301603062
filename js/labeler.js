// The Labeler front end (mmwidgets/widgets/labeler.py). One LabelQueue per widget model, set up
// in initialize(); each view renders it and binds its own keys, and cleans up when removed.
import { createCard } from "./lib/card.js";
import { connectionBanner } from "./lib/connection.js";
import { h, replace } from "./lib/dom.js";
import { bindKeys, keyCaption, labelIndex } from "./lib/keys.js";
import { renderModel, renderProgress } from "./lib/panels.js";
import { LabelQueue } from "./lib/queue.js";
import { createRpc } from "./lib/rpc.js";
import { injectStyle } from "./lib/style.js";
import { createZoom } from "./lib/zoom.js";

// model key -> {queue, rpc}; keyed by a trait because anywidget gives initialize() and each
// render() a different proxy of the same model
const queues = new Map();

function initialize({ model }) {
  const queue = new LabelQueue(model.get("prefetch"));
  const rpc = createRpc(model, { onPush: (msg, buffers) => queue.receive(msg, buffers) });
  queue.rpc = rpc;
  const onQueueChanged = () => queue.sync();
  model.on("change:queue_version", onQueueChanged);
  const key = model.get("_key");
  queues.set(key, { queue, rpc });
  queue.sync();
  return () => {
    model.off("change:queue_version", onQueueChanged);
    queue.dispose();
    rpc.dispose();
    queues.delete(key);
  };
}

function render({ model, el }) {
  const { queue, rpc } = queues.get(model.get("_key"));
  const labels = model.get("labels");
  const shortcuts = model.get("shortcuts");
  const multi = model.get("multi_label");

  injectStyle(el);
  const errorText = h("span", { class: "mmw-error-text" });
  const errorBar = h("div", { class: "mmw-error", role: "alert", hidden: true }, errorText,
    h("button", { type: "button", tabindex: "-1", title: "dismiss", text: "×", onclick: () => dismiss() }));
  const connection = connectionBanner(model);
  const progress = h("div", { class: "mmw-progress" });
  const badge = h("div", { class: "mmw-badge" });
  const stage = h("div", { class: "mmw-stage" });
  const panel = h("div", { class: "mmw-model" });
  const buttons = labels.map((label, i) =>
    h("button", { class: "mmw-label", type: "button", tabindex: "-1", "data-label": label, onclick: () => clickThen(() => pick(i)) },
      shortcuts[i] ? h("kbd", { text: shortcuts[i] }) : null, label),
  );
  const submit = multi
    ? h("button", { class: "mmw-submit", type: "button", tabindex: "-1", onclick: () => clickThen(send) }, h("kbd", { text: keyCaption("Enter") }), "submit")
    : null;
  const action = (name, key, fn) =>
    h("button", { class: `mmw-${name}`, type: "button", tabindex: "-1", onclick: () => clickThen(fn) }, h("kbd", { text: keyCaption(key) }), name);
  const root = h("div", { class: "mmw mmw-labeler", role: "application", "aria-label": "labeler: number and letter keys pick labels, s skips, z undoes, m brings more like this, arrows walk the history, space plays" },
    connection.el, errorBar, progress,
    h("div", { class: "mmw-main" }, h("div", { class: "mmw-stage-wrap", style: { flex: "1 1 auto", minWidth: "0" } }, badge, stage), panel),
    h("div", { class: "mmw-labels" }, buttons, submit),
    h("div", { class: "mmw-actions" },
      action("undo", "Backspace", () => queue.undo()), action("skip", "s", () => queue.skip()),
      action("more like this", "m", () => queue.moreLikeThis()),
      action("back", "ArrowLeft", () => queue.step(-1)), action("forward", "ArrowRight", () => queue.step(+1)),
      h("span", { class: "mmw-hint" })),
  );
  el.append(root);
  const zoom = createZoom(root, rpc, () => cardId);

  let card = null;
  let cardId = null;
  const built = new Map(); // id -> card of an upcoming item, built in idle time, not mounted
  let buildTimer = 0;
  let toggled = new Set();
  let dismissed = "";

  function clickThen(fn) {
    fn();
    root.focus({ preventScroll: true });
  }
  const ready = () => card !== null && cardId === queue.shown?.id && !queue.loading;

  function pick(i) {
    if (!ready()) return;
    if (!multi) return void queue.label(labels[i]);
    const label = labels[i];
    toggled.has(label) ? toggled.delete(label) : toggled.add(label);
    paintLabels(queue.shown);
  }
  function send() {
    if (multi && ready()) queue.label(labels.filter((label) => toggled.has(label)));
  }

  function show() {
    const entry = queue.shown;
    root.dataset.views = String(queue.listeners.size); // views of this model now: leaks show
    if ((entry?.id ?? null) !== cardId || (entry && !card && entry.settled)) {
      card?.dispose();
      card = null;
      zoom.close();
      cardId = entry?.id ?? null;
      root.dataset.shown = "";
      const current = entry?.label;
      toggled = new Set(multi && Array.isArray(current) ? current : []);
      if (!entry) replace(stage, h("div", { class: "mmw-empty", text: queue.loading ? "loading…" : "Nothing left to label: every item is labeled or skipped." }));
      else if (entry.settled) mount(entry);
      else {
        replace(stage, h("div", { class: "mmw-empty", text: "loading…" }));
        entry.ready.then(() => queue.shown === entry && cardId === entry.id && !card && mount(entry));
      }
    }
    paintBadge(entry);
    paintLabels(entry);
    renderModel(panel, entry?.meta, model.get("status"));
    paintError();
    if (!buildTimer) buildTimer = setTimeout(prebuild, 30);
  }

  // Build the next cards (DOM, waveform players) while the user looks at this one, so a key
  // press only swaps them in.
  function prebuild() {
    buildTimer = 0;
    if (queue.history) return;
    const upcoming = queue.upcoming(2);
    for (const [id, built_] of built) {
      if (upcoming.some((e) => e.id === id)) continue;
      built_.dispose();
      built.delete(id);
    }
    for (const entry of upcoming) if (!built.has(entry.id)) built.set(entry.id, createCard(entry, { onZoom: zoom.open }));
    root.dataset.cards = String(built.size + (card ? 1 : 0)); // cards alive (shown + built ahead): leaks show
  }

  function mount(entry) {
    card = built.get(entry.id) ?? createCard(entry, { onZoom: zoom.open });
    built.delete(entry.id);
    replace(stage, card.el);
    const mine = card;
    mine.whenShown(() => {
      if (card !== mine) return;
      root.dataset.shown = entry.id;
      signal("mmw-shown", { id: entry.id });
      // and once the frame with it has been painted (after the next animation frame)
      requestAnimationFrame(() => setTimeout(() => card === mine && signal("mmw-painted", { id: entry.id })));
    });
  }

  // events for benchmarks and tests: mmw-shown, mmw-painted, mmw-ack, with performance.now()
  function signal(name, detail) {
    root.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: { ...detail, t: performance.now() } }));
  }

  function paintBadge(entry) {
    const history = queue.history;
    badge.classList.toggle("mmw-history", Boolean(history));
    const label = entry?.label;
    const was = label == null ? "" : label.skipped ? "skipped" : `labeled ${Array.isArray(label) ? label.join(", ") || "none" : label}`;
    badge.textContent = history ? `history ${history.index + 1}/${history.total} · ${was} · → to go forward` : was ? `already ${was}` : "";
  }

  function paintLabels(entry) {
    const current = entry?.label;
    const suggested = entry?.meta?.prediction;
    buttons.forEach((button, i) => {
      const label = labels[i];
      button.classList.toggle("mmw-on", multi && toggled.has(label));
      button.classList.toggle("mmw-current", !multi && current === label);
      button.classList.toggle("mmw-suggested", Array.isArray(suggested) ? suggested.includes(label) : suggested === label);
    });
  }

  function paintError() {
    const message = queue.error || model.get("error");
    errorText.textContent = message;
    errorBar.hidden = !message || message === dismissed;
  }
  function dismiss() {
    dismissed = queue.error || model.get("error");
    queue.error && queue.dismissError();
    paintError();
  }

  const unbindKeys = bindKeys(root, (key, event) => {
    if (event.repeat && !key.startsWith("Arrow")) return true; // a held key labels once
    if (zoom.isOpen && (key === "Escape" || key === "Space")) {
      zoom.close();
      return true;
    }
    const i = labelIndex(shortcuts, key);
    if (i >= 0) return pick(i), true;
    switch (key) {
      case "Enter": return send(), true;
      case "Backspace": case "z": return queue.undo(), true;
      case "s": return ready() && queue.skip(), true;
      case "m": return queue.moreLikeThis(), true;
      case "ArrowLeft": return queue.step(-1), true;
      case "ArrowRight": return queue.step(+1), true;
      case "Space": return card?.toggleAudio(), true;
      default: return false;
    }
  });

  const onAck = (event) => {
    if (event.type === "ack") signal("mmw-ack", event);
    else show();
  };
  const stopQueue = queue.subscribe(onAck);
  const onProgress = () => renderProgress(progress, model.get("progress"), labels);
  const onStatus = () => renderModel(panel, queue.shown?.meta, model.get("status"));
  model.on("change:progress", onProgress);
  model.on("change:status", onStatus);
  model.on("change:error", paintError);
  onProgress();
  show();

  return () => {
    unbindKeys();
    stopQueue();
    model.off("change:progress", onProgress);
    model.off("change:status", onStatus);
    model.off("change:error", paintError);
    connection.dispose();
    clearTimeout(buildTimer);
    built.forEach((c) => c.dispose());
    card?.dispose();
    zoom.close();
    root.remove();
  };
}

export default { initialize, render };

// The EmbeddingMap's hover preview: after the pointer rests on a point for a moment, ask Python
// for that item (thumbnail, text, stored label, prediction) and show it next to the pointer.
// Answers for a point the pointer has left since are dropped.
import { fixed, h, replace } from "./dom.js";
import { prepareEntry, releaseEntry } from "./media.js";
import { ITEM } from "./protocol.js";

const REST_MS = 60; // hovering this long asks for the item
const WIDTH = 200; // the preview's CSS width (see map_toolbar.js)

export class HoverPreview {
  /** `element` is the preview box over the canvas that `view` maps; errors go to onError. */
  constructor(element, view, root, rpc, onError) {
    this.element = element;
    this.view = view;
    this.root = root;
    this.rpc = rpc;
    this.onError = onError;
    this.row = -1; // the point whose preview is wanted
    this.asked = 0; // answers to older asks are dropped
    this.timer = 0;
    this.entry = null; // shown, until the next one replaces it
  }

  /** The pointer rests on `row` at canvas point (px, py); -1 hides the preview. */
  want(row, px, py) {
    this.row = row;
    clearTimeout(this.timer);
    if (row < 0) return this.hide();
    this.timer = setTimeout(() => this.load(row, px, py), REST_MS);
  }

  load(row, px, py) {
    const mine = ++this.asked;
    this.rpc
      .request(ITEM, { row })
      .then(({ result, buffers }) => prepareEntry(result.item, buffers, { audio: "lazy" }).ready)
      .then((entry) => {
        if (mine !== this.asked || row !== this.row) return releaseEntry(entry);
        this.show(entry, px, py);
      })
      .catch(this.onError);
  }

  show(entry, px, py) {
    if (this.entry) releaseEntry(this.entry);
    this.entry = entry;
    const image = entry.images.find((s) => s.state === "ok");
    const text = entry.text.find((s) => s.state === "ok");
    const stored = Array.isArray(entry.label) ? entry.label.join(", ") || "none" : entry.label;
    const meta = entry.meta ?? {};
    const confidence = Number.isFinite(meta.confidence) ? ` (${fixed(meta.confidence)})` : "";
    replace(
      this.element,
      image ? h("div", { class: "mmw-frame" }, Object.assign(image.img, { className: "mmw-img" })) : null,
      text ? h("div", { class: "mmw-snippet", text: text.value }) : null,
      h("div", { class: "mmw-preview-label", text: `label: ${stored ?? "none"}` }),
      h("div", { class: "mmw-preview-prediction", text: `model: ${meta.prediction ?? "no prediction"}${confidence}` }),
      h("div", { class: "mmw-muted", text: entry.id }),
    );
    this.element.hidden = false;
    this.place(px, py);
    this.root.dataset.preview = entry.id;
  }

  /** Beside the pointer, flipped to its left near the right edge, kept inside the canvas. */
  place(px, py) {
    const { width, height } = this.view;
    const left = px + 16 + WIDTH > width ? px - WIDTH - 16 : px + 16;
    this.element.style.left = `${Math.max(0, left)}px`;
    this.element.style.top = `${Math.max(0, Math.min(py + 12, height - this.element.offsetHeight))}px`;
  }

  hide() {
    clearTimeout(this.timer);
    this.row = -1;
    this.asked++;
    this.element.hidden = true;
    delete this.root.dataset.preview;
  }

  dispose() {
    clearTimeout(this.timer);
    this.asked++;
    if (this.entry) releaseEntry(this.entry);
  }
}

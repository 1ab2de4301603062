// The EmbeddingMap's DOM: the toolbar (colour mode, lasso, reset), the stage (canvas, note,
// hover preview), the legend, and the selection bar (count, a button per label, gallery, clear).
import { h } from "./dom.js";
import { keyCaption } from "./keys.js";
import { COLOR_BY } from "./protocol.js";
import { injectStyle } from "./style.js";

const CSS = `
.mmw-map-main { display: flex; gap: 10px; align-items: stretch; margin-top: 8px; }
.mmw-map-stage { position: relative; flex: 1 1 auto; min-width: 0; height: 460px; background: var(--mmw-bg2); border-radius: 4px; overflow: hidden; }
.mmw-map-canvas { display: block; width: 100%; height: 100%; cursor: grab; touch-action: none; }
.mmw-map.mmw-lassoing .mmw-map-canvas { cursor: crosshair; }
.mmw-legend { flex: 0 0 170px; display: flex; flex-direction: column; gap: 3px; font-size: 12px; max-height: 460px; overflow-y: auto; }
.mmw-legend-row { display: flex; align-items: center; gap: 6px; min-width: 0; overflow-wrap: anywhere; }
.mmw-swatch { width: 10px; height: 10px; border-radius: 50%; flex: 0 0 auto; }
.mmw-ramp { height: 10px; border-radius: 3px; margin-top: 2px; }
.mmw-ramp-ends { display: flex; justify-content: space-between; color: var(--mmw-muted); }
.mmw-preview { position: absolute; z-index: 5; width: 200px; pointer-events: none; background: var(--mmw-bg); border: 1px solid var(--mmw-border);
  border-radius: 6px; padding: 6px; box-shadow: 0 2px 8px rgba(0, 0, 0, .2); display: flex; flex-direction: column; gap: 4px; font-size: 12px; }
.mmw-preview[hidden], .mmw-map-note[hidden] { display: none; }
.mmw-preview .mmw-img { max-height: 120px; margin: auto; }
.mmw-map-note { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; color: var(--mmw-muted); padding: 20px; text-align: center; }
.mmw .mmw-lasso-mode.mmw-on { background: var(--mmw-accent); border-color: var(--mmw-accent); color: #fff; }
.mmw-map select { font: inherit; }
`;

/** The shared widget style and the map's own, once per output element. */
export function injectMapStyle(el) {
  injectStyle(el);
  if (!el.querySelector(":scope > style[data-mmw-map]")) el.prepend(h("style", { "data-mmw-map": "", text: CSS }));
}

/**
 * The map's elements, by name. `actions` = {lasso, reset, label(name), gallery, clear}: what
 * the buttons do; a click hands the keys back to the root afterwards.
 */
export function mapLayout(classes, shortcuts, actions) {
  const root = h("div", { class: "mmw mmw-map" });
  const button = (cls, text, key, onclick) =>
    h("button", { class: cls, type: "button", tabindex: "-1", onclick: () => (onclick(), root.focus({ preventScroll: true })) }, key ? h("kbd", { text: keyCaption(key) }) : null, text);
  const parts = {
    root,
    error: h("div", { class: "mmw-error", role: "alert", hidden: true }),
    colorBy: h("select", { class: "mmw-color-by", title: "colour the points by" }, COLOR_BY.map((v) => h("option", { value: v, text: `colour: ${v}` }))),
    lassoButton: button("mmw-lasso-mode", "lasso", null, actions.lasso),
    info: h("span", { class: "mmw-muted mmw-map-info" }),
    canvas: h("canvas", { class: "mmw-map-canvas" }),
    preview: h("div", { class: "mmw-preview", hidden: true }),
    note: h("div", { class: "mmw-map-note", text: "loading the map…" }),
    legend: h("div", { class: "mmw-legend" }),
    count: h("span", { class: "mmw-selection-count", text: "nothing selected" }),
    labelButtons: classes.map((label, i) => button("mmw-label", label, shortcuts[i], () => actions.label(label))),
    galleryButton: button("mmw-open-gallery", "open in gallery", "Enter", actions.gallery),
    clearButton: button("mmw-clear", "clear", "Delete", actions.clear),
  };
  parts.labelButtons.forEach((b, i) => (b.dataset.label = classes[i]));
  const { error, colorBy, lassoButton, info, canvas, note, preview, legend, count, labelButtons, galleryButton, clearButton } = parts;
  root.append(
    error,
    h("div", { class: "mmw-actions" }, colorBy, lassoButton, button("mmw-reset", "reset view", "0", actions.reset), info, h("span", { class: "mmw-hint" })),
    h("div", { class: "mmw-map-main" }, h("div", { class: "mmw-map-stage" }, canvas, note, preview), legend),
    h("div", { class: "mmw-actions mmw-selection" }, count, labelButtons, galleryButton, clearButton),
  );
  return parts;
}

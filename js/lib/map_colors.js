// The EmbeddingMap's colours: a colour word per point (ImageData's RGBA bytes as one
// little-endian Uint32), the draw order, and the legend that explains them.
import { h } from "./dom.js";
import { BY_LABEL, BY_UNCERTAINTY } from "./protocol.js";

export function rgba(r, g, b, a = 255) {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

function hex(s) {
  const v = parseInt(s.slice(1), 16);
  return { word: rgba(v >> 16, (v >> 8) & 255, v & 255), css: s };
}

// tab10-like categories; points without a label/prediction are a translucent grey
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"].map(hex);
export const NONE = rgba(150, 150, 150, 110);
const NONE_CSS = "rgba(150, 150, 150, 0.45)";
// confident (dark blue) -> uncertain (orange-red), 64 steps
const RAMP_STOPS = [[49, 54, 149], [69, 117, 180], [171, 217, 233], [253, 174, 97], [215, 48, 39]];
export const RAMP = Array.from({ length: 64 }, (_, i) => rampAt(i / 63));

function rampAt(u) {
  const x = u * (RAMP_STOPS.length - 1);
  const i = Math.min(RAMP_STOPS.length - 2, Math.floor(x));
  const [a, b] = [RAMP_STOPS[i], RAMP_STOPS[i + 1]];
  const [r, g, bl] = a.map((v, k) => Math.round(v + (b[k] - v) * (x - i)));
  return { word: rgba(r, g, bl), css: `rgb(${r}, ${g}, ${bl})` };
}

/**
 * Colours of the drawable points for colour mode `mode` (protocol.js COLOR_BY), and the draw
 * order: the points without a colour first, so the coloured ones stay visible on top.
 * points = {n, drawable, label, prediction, confidence}; nClasses is the size of the label set.
 */
export function pointColors(mode, points, nClasses) {
  const { n, drawable, label, prediction, confidence } = points;
  const colors = new Uint32Array(n);
  const none = [], some = [];
  const k = Math.max(2, nClasses);
  for (const i of drawable) {
    let c = NONE;
    if (mode === BY_UNCERTAINTY) {
      // 0 at full confidence, 1 at chance (1/k)
      if (prediction[i] >= 0) c = RAMP[Math.round(63 * Math.min(1, Math.max(0, (1 - confidence[i]) / (1 - 1 / k))))].word;
    } else {
      const v = mode === BY_LABEL ? label[i] : prediction[i];
      if (v >= 0) c = PALETTE[v % PALETTE.length].word;
    }
    colors[i] = c;
    (c === NONE ? none : some).push(i);
  }
  // `uncolored`: how many of `order` come first without a colour (drawn smaller and paler)
  return { colors, order: Int32Array.from(none.concat(some)), uncolored: none.length };
}

/** The legend's content for `mode`: a ramp for uncertainty, else a row per class with counts. */
export function legendContent(mode, points, classes) {
  const { drawable, label, prediction } = points;
  const swatch = (css) => h("span", { class: "mmw-swatch", style: { background: css } });
  const row = (css, text, key) => h("div", { class: "mmw-legend-row", "data-key": key }, swatch(css), h("span", { text }));
  if (mode === BY_UNCERTAINTY) {
    const ramp = `linear-gradient(to right, ${RAMP.filter((_, i) => i % 9 === 0 || i === 63).map((c) => c.css).join(", ")})`;
    const none = drawable.reduce((a, i) => a + (prediction[i] < 0 ? 1 : 0), 0);
    return [
      h("div", { class: "mmw-panel-title", text: "model uncertainty" }),
      h("div", { class: "mmw-ramp", style: { background: ramp } }),
      h("div", { class: "mmw-ramp-ends" }, h("span", { text: "confident" }), h("span", { text: "uncertain" })),
      none ? row(NONE_CSS, `no prediction ${none}`, "") : null,
    ];
  }
  const values = mode === BY_LABEL ? label : prediction;
  const counts = new Array(classes.length).fill(0);
  let none = 0;
  for (const i of drawable) values[i] >= 0 ? counts[values[i]]++ : none++;
  return [
    h("div", { class: "mmw-panel-title", text: mode === BY_LABEL ? "label" : "predicted" }),
    classes.map((c, i) => row(PALETTE[i % PALETTE.length].css, `${c} ${counts[i]}`, c)),
    row(NONE_CSS, `${mode === BY_LABEL ? "unlabeled" : "no prediction"} ${none}`, ""),
  ];
}

// The EmbeddingMap front end (mmwidgets/widgets/embedding_map.py): every item as a point on a
// canvas, coloured by label / prediction / uncertainty. Hover a point for a preview, drag to pan,
// scroll to zoom, shift+drag (or lasso mode) to select, then label the selection or open it in a
// Gallery. Points are written straight into an ImageData through a Uint32Array view (one store
// per pixel, no path per point), so a frame of 100k points costs a few ms without WebGL; frames
// are drawn only in requestAnimationFrame, at most one per display frame.
import { bytesOf, float32Of } from "./lib/codecs.js";
import { fixed, h, replace } from "./lib/dom.js";
import { bindKeys, keyCaption, labelIndex } from "./lib/keys.js";
import { prepareEntry, releaseEntry } from "./lib/media.js";
import { statusText } from "./lib/panels.js";
import { ITEM, POINTS, SELECT } from "./lib/protocol.js";
import { createRpc } from "./lib/rpc.js";
import { injectStyle } from "./lib/style.js";

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

// tab10-like categories; points without a label/prediction are a translucent grey
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"].map(hex);
const NONE = rgba(150, 150, 150, 150);
const NONE_CSS = "rgba(150, 150, 150, 0.6)";
// confident (dark blue) -> uncertain (orange-red), 64 steps
const RAMP_STOPS = [[49, 54, 149], [69, 117, 180], [171, 217, 233], [253, 174, 97], [215, 48, 39]];
const RAMP = Array.from({ length: 64 }, (_, i) => rampAt(i / 63));
const COLOR_BY = ["label", "prediction", "uncertainty"];
const HOVER_PX = 10;

function rgba(r, g, b, a = 255) {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0; // ImageData is RGBA bytes: little-endian words
}
function hex(s) {
  const v = parseInt(s.slice(1), 16);
  return { word: rgba(v >> 16, (v >> 8) & 255, v & 255), css: s };
}
function rampAt(u) {
  const x = u * (RAMP_STOPS.length - 1);
  const i = Math.min(RAMP_STOPS.length - 2, Math.floor(x));
  const [a, b] = [RAMP_STOPS[i], RAMP_STOPS[i + 1]];
  const [r, g, bl] = a.map((v, k) => Math.round(v + (b[k] - v) * (x - i)));
  return { word: rgba(r, g, bl), css: `rgb(${r}, ${g}, ${bl})` };
}
const int16Of = (buffer) => new Int16Array(bytesOf(buffer).slice().buffer); // copied: alignment
const int32Of = (buffer) => new Int32Array(bytesOf(buffer).slice().buffer);

function render({ model, el }) {
  const rpc = createRpc(model);
  const shortcuts = model.get("shortcuts");
  let classes = model.get("labels");
  injectStyle(el);
  if (!el.querySelector(":scope > style[data-mmw-map]")) el.prepend(h("style", { "data-mmw-map": "", text: CSS }));

  const button = (cls, text, key, onclick) =>
    h("button", { class: cls, type: "button", tabindex: "-1", onclick: () => (onclick(), root.focus({ preventScroll: true })) }, key ? h("kbd", { text: keyCaption(key) }) : null, text);
  const error = h("div", { class: "mmw-error", role: "alert", hidden: true });
  const colorBy = h("select", { class: "mmw-color-by", title: "colour the points by" }, COLOR_BY.map((v) => h("option", { value: v, text: `colour: ${v}` })));
  const lassoButton = button("mmw-lasso-mode", "lasso", null, () => setLassoMode(!lassoMode));
  const info = h("span", { class: "mmw-muted mmw-map-info" });
  const canvas = h("canvas", { class: "mmw-map-canvas" });
  const preview = h("div", { class: "mmw-preview", hidden: true });
  const note = h("div", { class: "mmw-map-note", text: "loading the map…" });
  const legend = h("div", { class: "mmw-legend" });
  const count = h("span", { class: "mmw-selection-count", text: "nothing selected" });
  const labelButtons = classes.map((label, i) => button("mmw-label", label, shortcuts[i], () => labelSelection(label)));
  labelButtons.forEach((b, i) => (b.dataset.label = classes[i]));
  const galleryButton = button("mmw-open-gallery", "open in gallery", "Enter", () => openSelection());
  const clearButton = button("mmw-clear", "clear", "Delete", () => setSelection(new Int32Array(0), true));
  const root = h(
    "div",
    { class: "mmw mmw-map" },
    error,
    h("div", { class: "mmw-actions" }, colorBy, lassoButton, button("mmw-reset", "reset view", "0", () => (fit(), schedule())), info, h("span", { class: "mmw-hint" })),
    h("div", { class: "mmw-map-main" }, h("div", { class: "mmw-map-stage" }, canvas, note, preview), legend),
    h("div", { class: "mmw-actions mmw-selection" }, count, labelButtons, galleryButton, clearButton),
  );
  el.append(root);
  const ctx = canvas.getContext("2d");

  // ---------------------------------------------------------------- state
  let n = 0;
  let xy = null; // Float32Array(2n), x and y interleaved
  let label = null; // Int16Array(n): stored label index, -1 none
  let prediction = null; // Int16Array(n): predicted label index, -1 none
  let confidence = null; // Float32Array(n)
  let drawable = new Int32Array(0); // rows with a finite position, ascending
  let order = drawable; // draw order: "no colour" points first, so coloured ones stay visible
  let colors = new Uint32Array(0);
  let selected = new Uint8Array(0);
  let selectedRows = new Int32Array(0);
  let bounds = { minX: 0, maxX: 1, minY: 0, maxY: 1 };
  let grid = null;
  let view = { cx: 0.5, cy: 0.5, scale: 1 }; // data point at the canvas centre; CSS px per data unit
  let cssW = 0, cssH = 0, dpr = 1, image = null, pixels = null;
  let frameRequested = 0, inputAt = null, frames = 0;
  const frameLog = [];
  let drag = null, lassoMode = false, hoverRow = -1, hoverTimer = 0, previewEntry = null;
  let pointsAsked = 0, previewAsked = 0, userMoved = false;

  // ---------------------------------------------------------------- data
  function loadPoints() {
    const mine = ++pointsAsked;
    rpc
      .request(POINTS, { layout: xy === null })
      .then(({ result, buffers }) => {
        if (mine !== pointsAsked) return;
        if (result.pending) return void showNote("computing the embeddings… the map appears when they are ready");
        classes = result.classes;
        if (result.xy != null) setLayout(float32Of(buffers[result.xy]), result.n);
        label = int16Of(buffers[result.label]);
        prediction = int16Of(buffers[result.prediction]);
        confidence = float32Of(buffers[result.confidence]);
        recolor();
        root.dataset.version = String(model.get("points_version"));
        error.hidden = true;
      })
      .catch(showError);
  }

  function setLayout(points, size) {
    n = size;
    xy = points;
    const rows = [];
    let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i], y = xy[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      rows.push(i);
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    drawable = Int32Array.from(rows);
    bounds = rows.length ? { minX, maxX, minY, maxY } : { minX: 0, maxX: 1, minY: 0, maxY: 1 };
    selected = new Uint8Array(n);
    grid = buildGrid();
    root.dataset.points = String(drawable.length);
    showNote(drawable.length ? null : "no item has a usable embedding yet");
    fit();
    applyModelSelection();
    onStatus();
  }

  // A uniform grid over the layout (built once): hover looks at a few cells, not every point.
  function buildGrid() {
    const m = drawable.length;
    const side = Math.max(1, Math.min(512, Math.ceil(Math.sqrt(m / 4))));
    const cw = (bounds.maxX - bounds.minX) / side || 1, ch = (bounds.maxY - bounds.minY) / side || 1;
    const cell = (i) => {
      const gx = Math.min(side - 1, Math.floor((xy[2 * i] - bounds.minX) / cw));
      const gy = Math.min(side - 1, Math.floor((xy[2 * i + 1] - bounds.minY) / ch));
      return gy * side + gx;
    };
    const start = new Int32Array(side * side + 1);
    for (let k = 0; k < m; k++) start[cell(drawable[k]) + 1]++;
    for (let c = 0; c < side * side; c++) start[c + 1] += start[c];
    const fill = start.slice(0, -1), items = new Int32Array(m);
    for (let k = 0; k < m; k++) items[fill[cell(drawable[k])]++] = drawable[k];
    return { side, cw, ch, start, items };
  }

  function nearest(px, py) {
    if (!grid || !drawable.length) return -1;
    const x = dataX(px), y = dataY(py), r = HOVER_PX / view.scale;
    const { side, cw, ch, start, items } = grid;
    const clampCell = (v) => Math.max(0, Math.min(side - 1, v));
    let gx0 = clampCell(Math.floor((x - r - bounds.minX) / cw)), gx1 = clampCell(Math.floor((x + r - bounds.minX) / cw));
    let gy0 = clampCell(Math.floor((y - r - bounds.minY) / ch)), gy1 = clampCell(Math.floor((y + r - bounds.minY) / ch));
    if (gx1 - gx0 > 16) [gx0, gx1] = [Math.max(gx0, Math.floor((gx0 + gx1) / 2) - 8), Math.min(gx1, Math.floor((gx0 + gx1) / 2) + 8)];
    if (gy1 - gy0 > 16) [gy0, gy1] = [Math.max(gy0, Math.floor((gy0 + gy1) / 2) - 8), Math.min(gy1, Math.floor((gy0 + gy1) / 2) + 8)];
    let best = -1, bestD = r * r;
    for (let gy = gy0; gy <= gy1; gy++) {
      for (let c = gy * side + gx0, end = gy * side + gx1; c <= end; c++) {
        for (let k = start[c]; k < start[c + 1]; k++) {
          const i = items[k], dx = xy[2 * i] - x, dy = xy[2 * i + 1] - y, d = dx * dx + dy * dy;
          if (d <= bestD) [best, bestD] = [i, d];
        }
      }
    }
    return best;
  }

  function recolor() {
    if (!xy || !label) return;
    const mode = model.get("color_by");
    colors = new Uint32Array(n);
    const none = [], some = [];
    const k = Math.max(2, classes.length);
    for (const i of drawable) {
      let c = NONE;
      if (mode === "uncertainty") {
        if (prediction[i] >= 0) c = RAMP[Math.round(63 * Math.min(1, Math.max(0, (1 - confidence[i]) / (1 - 1 / k))))].word;
      } else {
        const v = mode === "label" ? label[i] : prediction[i];
        if (v >= 0) c = PALETTE[v % PALETTE.length].word;
      }
      colors[i] = c;
      (c === NONE ? none : some).push(i);
    }
    order = Int32Array.from(none.concat(some));
    colorBy.value = mode;
    root.dataset.colorBy = mode;
    renderLegend(mode);
    schedule();
  }

  function renderLegend(mode) {
    const swatch = (css) => h("span", { class: "mmw-swatch", style: { background: css } });
    const row = (css, text, key) => h("div", { class: "mmw-legend-row", "data-key": key }, swatch(css), h("span", { text }));
    if (mode === "uncertainty") {
      const ramp = `linear-gradient(to right, ${RAMP.filter((_, i) => i % 9 === 0 || i === 63).map((c) => c.css).join(", ")})`;
      const none = drawable.reduce((a, i) => a + (prediction[i] < 0 ? 1 : 0), 0);
      return void replace(
        legend,
        h("div", { class: "mmw-panel-title", text: "model uncertainty" }),
        h("div", { class: "mmw-ramp", style: { background: ramp } }),
        h("div", { class: "mmw-ramp-ends" }, h("span", { text: "confident" }), h("span", { text: "uncertain" })),
        none ? row(NONE_CSS, `no prediction ${none}`, "") : null,
      );
    }
    const values = mode === "label" ? label : prediction;
    const counts = new Array(classes.length).fill(0);
    let none = 0;
    for (const i of drawable) values[i] >= 0 ? counts[values[i]]++ : none++;
    replace(
      legend,
      h("div", { class: "mmw-panel-title", text: mode === "label" ? "label" : "predicted" }),
      classes.map((c, i) => row(PALETTE[i % PALETTE.length].css, `${c} ${counts[i]}`, c)),
      row(NONE_CSS, `${mode === "label" ? "unlabeled" : "no prediction"} ${none}`, ""),
    );
  }

  // ---------------------------------------------------------------- view
  const dataX = (px) => view.cx + (px - cssW / 2) / view.scale;
  const dataY = (py) => view.cy - (py - cssH / 2) / view.scale;

  function fit() {
    const w = bounds.maxX - bounds.minX || 1, hgt = bounds.maxY - bounds.minY || 1;
    view = { cx: (bounds.minX + bounds.maxX) / 2, cy: (bounds.minY + bounds.maxY) / 2, scale: 0.92 * Math.min(cssW / w, cssH / hgt) || 1 };
    userMoved = false;
  }

  function resize() {
    const w = canvas.clientWidth, hgt = canvas.clientHeight;
    if (!w || !hgt) return;
    dpr = window.devicePixelRatio || 1;
    [cssW, cssH] = [w, hgt];
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(hgt * dpr);
    image = ctx.createImageData(canvas.width, canvas.height);
    pixels = new Uint32Array(image.data.buffer);
    if (!userMoved) fit();
    schedule();
  }

  function zoomAt(px, py, factor) {
    const [x, y] = [dataX(px), dataY(py)];
    view.scale = Math.min(1e7, Math.max(1e-7, view.scale * factor));
    view.cx = x - (px - cssW / 2) / view.scale; // the point under the cursor stays there
    view.cy = y + (py - cssH / 2) / view.scale;
    userMoved = true;
    schedule();
  }

  function schedule() {
    if (!frameRequested) frameRequested = requestAnimationFrame(draw);
  }

  function draw() {
    frameRequested = 0;
    if (!pixels || !xy) return;
    const t0 = performance.now();
    const W = canvas.width, H = canvas.height;
    const m = drawable.length;
    const base = m > 50_000 ? 2 : m > 5_000 ? 3 : m > 500 ? 4 : 6; // fewer points, bigger dots
    const size = Math.max(1, Math.round(dpr * base * Math.min(2, Math.max(1, Math.sqrt(view.scale / (fitScale() || 1))))));
    pixels.fill(0);
    const dim = selectedRows.length > 0;
    plot(order, size, dim, W, H);
    if (dim) plot(selectedRows, size + 1, false, W, H);
    ctx.putImageData(image, 0, 0);
    overlay();
    const ms = performance.now() - t0;
    const latency = inputAt === null ? null : performance.now() - inputAt;
    inputAt = null;
    record(ms, latency);
  }

  function plot(rows, size, dim, W, H) {
    const k = view.scale * dpr, half = size / 2;
    const ax = W / 2 - view.cx * k - half, ay = H / 2 + view.cy * k - half;
    const maxX = W - size, maxY = H - size;
    for (let j = 0, m = rows.length; j < m; j++) {
      const i = rows[j];
      const px = Math.floor(xy[2 * i] * k + ax), py = Math.floor(ay - xy[2 * i + 1] * k);
      if (px < 0 || py < 0 || px > maxX || py > maxY) continue;
      const c = dim && !selected[i] ? (colors[i] & 0x00ffffff) | 0x38000000 : colors[i];
      for (let dy = 0, p = py * W + px; dy < size; dy++, p += W) for (let dx = 0; dx < size; dx++) pixels[p + dx] = c;
    }
  }

  function fitScale() {
    const w = bounds.maxX - bounds.minX || 1, hgt = bounds.maxY - bounds.minY || 1;
    return 0.92 * Math.min(cssW / w, cssH / hgt);
  }

  function overlay() {
    ctx.save();
    ctx.scale(dpr, dpr);
    if (drag?.kind === "lasso" && drag.points.length > 1) {
      ctx.beginPath();
      drag.points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.fillStyle = "rgba(25, 118, 210, 0.08)";
      ctx.strokeStyle = "rgba(25, 118, 210, 0.9)";
      ctx.setLineDash([4, 3]);
      ctx.fill();
      ctx.stroke();
    }
    if (hoverRow >= 0) {
      const x = (xy[2 * hoverRow] - view.cx) * view.scale + cssW / 2, y = cssH / 2 - (xy[2 * hoverRow + 1] - view.cy) * view.scale;
      ctx.beginPath();
      ctx.arc(x, y, 6, 0, 2 * Math.PI);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#000";
      ctx.stroke();
    }
    ctx.restore();
  }

  function record(ms, latency) {
    frameLog.push(ms);
    if (frameLog.length > 240) frameLog.shift();
    const sorted = [...frameLog].sort((a, b) => a - b);
    Object.assign(root.dataset, {
      frameMs: ms.toFixed(3),
      frameP50: sorted[Math.floor((sorted.length - 1) / 2)].toFixed(3),
      frameMax: sorted[sorted.length - 1].toFixed(3),
      frames: String(++frames),
    });
    root.dispatchEvent(new CustomEvent("mmw-frame", { detail: { ms, latency, points: drawable.length } }));
  }

  // ---------------------------------------------------------------- selection
  function setSelection(rows, sync) {
    selected.fill(0);
    // only points on the map: a selection set from Python may name items without a position
    const kept = xy ? rows.filter((i) => i >= 0 && i < n && Number.isFinite(xy[2 * i]) && Number.isFinite(xy[2 * i + 1])) : new Int32Array(0);
    kept.forEach((i) => (selected[i] = 1));
    selectedRows = kept;
    root.dataset.selected = String(kept.length);
    count.textContent = kept.length ? `${kept.length} selected — label them as:` : "nothing selected";
    [...labelButtons, galleryButton, clearButton].forEach((b) => (b.disabled = !kept.length));
    if (sync) {
      model.set("selection", new DataView(kept.slice().buffer));
      model.save_changes();
    }
    schedule();
  }

  function applyModelSelection() {
    const value = model.get("selection");
    setSelection(value && value.byteLength ? int32Of(value) : new Int32Array(0), false);
  }

  function lassoRows(points) {
    const poly = points.map(([x, y]) => [dataX(x), dataY(y)]);
    const xs = poly.map((p) => p[0]), ys = poly.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const rows = [];
    for (const i of drawable) {
      const x = xy[2 * i], y = xy[2 * i + 1];
      if (x < x0 || x > x1 || y < y0 || y > y1) continue;
      let inside = false; // even-odd rule: count crossings of a ray to the right
      for (let a = 0, b = poly.length - 1; a < poly.length; b = a++) {
        const [xa, ya] = poly[a], [xb, yb] = poly[b];
        if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
      }
      if (inside) rows.push(i);
    }
    return Int32Array.from(rows);
  }

  function labelSelection(name) {
    if (!selectedRows.length) return;
    const rows = selectedRows.slice();
    const index = classes.indexOf(name);
    labelButtons.forEach((b) => (b.disabled = true));
    rpc
      .request(SELECT, { action: "label", label: name }, [rows.buffer])
      .then(({ result }) => {
        rows.forEach((i) => (label[i] = index)); // what the store now holds; the next points refresh confirms it
        recolor();
        root.dataset.labeled = String(result.n);
        error.hidden = true;
        root.dispatchEvent(new CustomEvent("mmw-saved", { bubbles: true, detail: { n: result.n } }));
      })
      .catch(showError)
      .finally(() => labelButtons.forEach((b) => (b.disabled = !selectedRows.length)));
  }

  function openSelection() {
    if (!selectedRows.length) return;
    rpc.request(SELECT, { action: "gallery" }, [selectedRows.slice().buffer]).then(() => (error.hidden = true), showError);
  }

  // ---------------------------------------------------------------- hover preview
  function hover(px, py) {
    const row = nearest(px, py);
    if (row === hoverRow) return;
    hoverRow = row;
    schedule();
    clearTimeout(hoverTimer);
    if (row < 0) return hidePreview();
    hoverTimer = setTimeout(() => loadPreview(row, px, py), 60);
  }

  function loadPreview(row, px, py) {
    const mine = ++previewAsked;
    rpc
      .request(ITEM, { row })
      .then(({ result, buffers }) => prepareEntry(result.item, buffers, { audio: "lazy" }).ready)
      .then((entry) => {
        if (mine !== previewAsked || row !== hoverRow) return releaseEntry(entry);
        showPreview(entry, px, py);
      })
      .catch(showError);
  }

  function showPreview(entry, px, py) {
    if (previewEntry) releaseEntry(previewEntry);
    previewEntry = entry;
    const image = entry.images.find((s) => s.state === "ok");
    const text = entry.text.find((s) => s.state === "ok");
    const stored = Array.isArray(entry.label) ? entry.label.join(", ") || "none" : entry.label;
    const meta = entry.meta ?? {};
    replace(
      preview,
      image ? h("div", { class: "mmw-frame" }, Object.assign(image.img, { className: "mmw-img" })) : null,
      text ? h("div", { class: "mmw-snippet", text: text.value }) : null,
      h("div", { class: "mmw-preview-label", text: `label: ${stored ?? "none"}` }),
      h("div", { class: "mmw-preview-prediction", text: `model: ${meta.prediction ?? "no prediction"}${Number.isFinite(meta.confidence) ? ` (${fixed(meta.confidence)})` : ""}` }),
      h("div", { class: "mmw-muted", text: entry.id }),
    );
    preview.hidden = false;
    const left = px + 16 + 200 > cssW ? px - 216 : px + 16;
    preview.style.left = `${Math.max(0, left)}px`;
    preview.style.top = `${Math.max(0, Math.min(py + 12, cssH - preview.offsetHeight))}px`;
    root.dataset.preview = entry.id;
  }

  function hidePreview() {
    clearTimeout(hoverTimer);
    previewAsked++;
    preview.hidden = true;
    delete root.dataset.preview;
  }

  // ---------------------------------------------------------------- input
  const local = (event) => {
    const r = canvas.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  };
  const noteInput = (event) => (inputAt ??= event.timeStamp);

  function onPointerDown(event) {
    if (event.button !== 0 || !xy) return;
    root.focus({ preventScroll: true });
    canvas.setPointerCapture(event.pointerId);
    const [x, y] = local(event);
    drag = event.shiftKey || lassoMode ? { kind: "lasso", points: [[x, y]] } : { kind: "pan", x, y, cx: view.cx, cy: view.cy };
    hoverRow = -1;
    hidePreview();
    event.preventDefault();
  }
  function onPointerMove(event) {
    const [x, y] = local(event);
    if (!drag) return void (xy && hover(x, y));
    noteInput(event);
    if (drag.kind === "pan") {
      view.cx = drag.cx - (x - drag.x) / view.scale;
      view.cy = drag.cy + (y - drag.y) / view.scale;
      userMoved = true;
    } else {
      const [lx, ly] = drag.points[drag.points.length - 1];
      if (Math.abs(x - lx) + Math.abs(y - ly) >= 2) drag.points.push([x, y]);
    }
    schedule();
  }
  function onPointerUp() {
    const done = drag;
    drag = null;
    if (done?.kind === "lasso" && done.points.length >= 3) setSelection(lassoRows(done.points), true);
    schedule();
  }
  function onWheel(event) {
    if (!xy) return;
    event.preventDefault(); // zoom the map, not scroll the notebook
    noteInput(event);
    const [x, y] = local(event);
    zoomAt(x, y, Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.002)));
  }
  function onLeave() {
    if (drag) return;
    hoverRow = -1;
    hidePreview();
    schedule();
  }
  function setLassoMode(on) {
    lassoMode = on;
    lassoButton.classList.toggle("mmw-on", on);
    root.classList.toggle("mmw-lassoing", on);
  }

  canvas.addEventListener("pointerdown", onPointerDown);
  canvas.addEventListener("pointermove", onPointerMove);
  canvas.addEventListener("pointerup", onPointerUp);
  canvas.addEventListener("pointercancel", onPointerUp);
  canvas.addEventListener("pointerleave", onLeave);
  canvas.addEventListener("wheel", onWheel, { passive: false });
  colorBy.addEventListener("change", () => {
    model.set("color_by", colorBy.value);
    model.save_changes();
    recolor();
    root.focus({ preventScroll: true });
  });

  const unbindKeys = bindKeys(root, (key, event) => {
    if (event.repeat && !key.startsWith("Arrow") && key !== "+" && key !== "-") return true;
    const i = labelIndex(shortcuts, key);
    if (i >= 0) return labelSelection(classes[i]), true;
    const pan = (dx, dy) => ((view.cx += dx / view.scale), (view.cy += dy / view.scale), (userMoved = true), schedule());
    switch (key) {
      case "Enter": return openSelection(), true;
      case "Backspace": case "Delete": return setSelection(new Int32Array(0), true), true;
      case "0": return fit(), schedule(), true;
      case "+": case "=": return zoomAt(cssW / 2, cssH / 2, 1.25), true;
      case "-": return zoomAt(cssW / 2, cssH / 2, 0.8), true;
      case "ArrowLeft": return pan(-40, 0), true;
      case "ArrowRight": return pan(40, 0), true;
      case "ArrowUp": return pan(0, 40), true;
      case "ArrowDown": return pan(0, -40), true;
      case "l": return setLassoMode(!lassoMode), true; // (a label's key, when "l" is one, won above)
      default: return false;
    }
  });

  function showNote(text) {
    note.hidden = !text;
    note.textContent = text ?? "";
  }
  function showError(err) {
    error.textContent = err?.message ?? String(err);
    error.hidden = false;
  }
  const onStatus = () => (info.textContent = `${drawable.length} points · ${statusText(model.get("status"))}`);
  const onColorBy = () => recolor();
  model.on("change:points_version", loadPoints);
  model.on("change:color_by", onColorBy);
  model.on("change:selection", applyModelSelection);
  model.on("change:status", onStatus);
  const observer = new ResizeObserver(resize);
  observer.observe(canvas);

  setSelection(new Int32Array(0), false);
  onStatus();
  loadPoints();

  return () => {
    unbindKeys();
    observer.disconnect();
    cancelAnimationFrame(frameRequested);
    clearTimeout(hoverTimer);
    model.off("change:points_version", loadPoints);
    model.off("change:color_by", onColorBy);
    model.off("change:selection", applyModelSelection);
    model.off("change:status", onStatus);
    rpc.dispose();
    if (previewEntry) releaseEntry(previewEntry);
    root.remove();
  };
}

export default { render };

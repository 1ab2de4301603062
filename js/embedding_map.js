// The EmbeddingMap front end (mmwidgets/widgets/embedding_map.py): every item as a point on a
// canvas, coloured by label / prediction / uncertainty. Hover a point for a preview, drag to pan,
// scroll to zoom, shift+drag (or lasso mode) to select, then label the selection or open it in a
// Gallery. The parts live in lib/: map_view (pan/zoom transform), map_index (layout, hover grid),
// map_canvas (drawing), map_colors (colours, legend), lasso, map_preview, map_toolbar (DOM).
import { arrayAt, arrayOf, encodeArray } from "./lib/codecs.js";
import { replace } from "./lib/dom.js";
import { bindKeys, labelIndex } from "./lib/keys.js";
import { rowsInPolygon, extendPath } from "./lib/lasso.js";
import { PointCanvas } from "./lib/map_canvas.js";
import { legendContent, pointColors } from "./lib/map_colors.js";
import { buildGrid, layoutOf, nearestRow } from "./lib/map_index.js";
import { HoverPreview } from "./lib/map_preview.js";
import { injectMapStyle, mapLayout } from "./lib/map_toolbar.js";
import { ViewTransform } from "./lib/map_view.js";
import { statusText } from "./lib/panels.js";
import { GALLERY, INT32, LABEL, POINTS, SELECT } from "./lib/protocol.js";
import { createRpc } from "./lib/rpc.js";

const HOVER_PX = 10; // how near the pointer a point must be to be hovered
const NO_ROWS = new Int32Array(0);

class MapWidget {
  constructor(model, el) {
    this.model = model;
    this.rpc = createRpc(model);
    this.shortcuts = model.get("shortcuts");
    this.classes = model.get("labels");
    // the points: n rows; xy (x, y interleaved), label and prediction (-1 none), confidence
    this.points = { n: 0, xy: null, label: null, prediction: null, confidence: null, drawable: NO_ROWS, bounds: layoutOf([], 0).bounds };
    this.grid = null;
    this.colors = new Uint32Array(0);
    this.order = NO_ROWS; // draw order
    this.uncolored = 0; // the first `uncolored` of `order` have no colour (unlabeled, say)
    this.selected = new Uint8Array(0); // per row: 1 when selected
    this.selectedRows = NO_ROWS;
    this.drag = null; // {kind: "pan", grab} or {kind: "lasso", points}
    this.lassoMode = false;
    this.hoverRow = -1;
    this.pointsAsked = 0;
    injectMapStyle(el);
    this.ui = mapLayout(this.classes, this.shortcuts, {
      lasso: () => this.setLassoMode(!this.lassoMode),
      reset: () => this.resetView(),
      label: (name) => this.labelSelection(name),
      gallery: () => this.openSelection(),
      clear: () => this.setSelection(NO_ROWS, true),
    });
    el.append(this.ui.root);
    this.root = this.ui.root;
    this.view = new ViewTransform();
    this.canvas = new PointCanvas(this.ui.canvas, this.view, () => this.scene(), this.root);
    this.preview = new HoverPreview(this.ui.preview, this.view, this.root, this.rpc, (err) => this.showError(err));
    this.unbind = [this.bindPointer(), this.bindModel(), bindKeys(this.root, (key, event) => this.onKey(key, event))];
    this.setSelection(NO_ROWS, false);
    this.onStatus();
    this.loadPoints();
  }

  /** What the canvas draws now. */
  scene() {
    const { xy, bounds, drawable } = this.points;
    const lasso = this.drag?.kind === "lasso" ? this.drag.points : null;
    return { xy, bounds, drawable, order: this.order, uncolored: this.uncolored, colors: this.colors, selected: this.selected, selectedRows: this.selectedRows, hoverRow: this.hoverRow, lasso };
  }

  // ---------------------------------------------------------------- data
  loadPoints() {
    const mine = ++this.pointsAsked;
    this.rpc
      .request(POINTS, { layout: this.points.xy === null })
      .then(({ result, buffers }) => {
        if (mine !== this.pointsAsked) return;
        if (result.pending) return void this.showNote("computing the embeddings… the map appears when they are ready");
        this.classes = result.classes;
        if (result.xy != null) this.setLayout(arrayAt(buffers, result.xy, "xy"), result.n);
        Object.assign(this.points, {
          label: arrayAt(buffers, result.label, "label"),
          prediction: arrayAt(buffers, result.prediction, "prediction"),
          confidence: arrayAt(buffers, result.confidence, "confidence"),
        });
        this.recolor();
        this.root.dataset.version = String(this.model.get("points_version"));
        this.ui.error.hidden = true;
      })
      .catch((err) => this.showError(err));
  }

  setLayout(xy, n) {
    const { drawable, bounds } = layoutOf(xy, n);
    Object.assign(this.points, { n, xy, drawable, bounds });
    this.selected = new Uint8Array(n);
    this.grid = buildGrid(xy, drawable, bounds);
    this.root.dataset.points = String(drawable.length);
    this.showNote(drawable.length ? null : "no item has a usable embedding yet");
    this.view.fit(bounds);
    this.applyModelSelection();
    this.onStatus();
  }

  recolor() {
    if (!this.points.xy || !this.points.label) return;
    const mode = this.model.get("color_by");
    ({ colors: this.colors, order: this.order, uncolored: this.uncolored } = pointColors(mode, this.points, this.classes.length));
    this.ui.colorBy.value = mode;
    this.root.dataset.colorBy = mode;
    replace(this.ui.legend, ...legendContent(mode, this.points, this.classes));
    this.canvas.schedule();
  }

  // ---------------------------------------------------------------- selection
  setSelection(rows, sync) {
    const { n, xy } = this.points;
    this.selected.fill(0);
    // only points on the map: a selection set from Python may name items without a position
    const kept = xy ? rows.filter((i) => i >= 0 && i < n && Number.isFinite(xy[2 * i]) && Number.isFinite(xy[2 * i + 1])) : NO_ROWS;
    kept.forEach((i) => (this.selected[i] = 1));
    this.selectedRows = kept;
    this.root.dataset.selected = String(kept.length);
    const { count, labelButtons, galleryButton, clearButton } = this.ui;
    count.textContent = kept.length ? `${kept.length} selected — label them as:` : "nothing selected";
    [...labelButtons, galleryButton, clearButton].forEach((b) => (b.disabled = !kept.length));
    if (sync) {
      this.model.set("selection", new DataView(kept.slice().buffer)); // int32 rows, the trait's format
      this.model.save_changes();
    }
    this.canvas.schedule();
  }

  applyModelSelection() {
    const value = this.model.get("selection");
    this.setSelection(value && value.byteLength ? arrayOf({ view: value, dtype: INT32 }) : NO_ROWS, false);
  }

  /** SELECT with `action` and the selected rows as an int32 array; resolves to the result. */
  sendSelection(action, args = {}) {
    const buffers = [];
    const rows = encodeArray(this.selectedRows.slice(), buffers);
    return this.rpc.request(SELECT, { action, rows, ...args }, buffers).then(({ result }) => result);
  }

  labelSelection(name) {
    if (!this.selectedRows.length) return;
    const rows = this.selectedRows.slice();
    const index = this.classes.indexOf(name);
    const { labelButtons } = this.ui;
    labelButtons.forEach((b) => (b.disabled = true));
    this.sendSelection(LABEL, { label: name })
      .then((result) => {
        rows.forEach((i) => (this.points.label[i] = index)); // what the store now holds; the next points refresh confirms it
        this.recolor();
        this.root.dataset.labeled = String(result.n);
        this.ui.error.hidden = true;
        this.root.dispatchEvent(new CustomEvent("mmw-saved", { bubbles: true, detail: { n: result.n } }));
      })
      .catch((err) => this.showError(err))
      .finally(() => labelButtons.forEach((b) => (b.disabled = !this.selectedRows.length)));
  }

  openSelection() {
    if (!this.selectedRows.length) return;
    this.sendSelection(GALLERY).then(
      () => (this.ui.error.hidden = true),
      (err) => this.showError(err),
    );
  }

  // ---------------------------------------------------------------- input
  local(event) {
    const r = this.ui.canvas.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  }

  hover(px, py) {
    const { view } = this;
    const row = nearestRow(this.grid, view.dataX(px), view.dataY(py), HOVER_PX / view.scale);
    if (row === this.hoverRow) return;
    this.hoverRow = row;
    this.canvas.schedule();
    this.preview.want(row, px, py);
  }

  unhover() {
    this.hoverRow = -1;
    this.preview.hide();
  }

  onPointerDown(event) {
    if (event.button !== 0 || !this.points.xy) return;
    this.root.focus({ preventScroll: true });
    this.ui.canvas.setPointerCapture(event.pointerId);
    const [x, y] = this.local(event);
    this.drag = event.shiftKey || this.lassoMode ? { kind: "lasso", points: [[x, y]] } : { kind: "pan", grab: this.view.grab(x, y) };
    this.unhover();
    event.preventDefault();
  }

  onPointerMove(event) {
    const [x, y] = this.local(event);
    if (!this.drag) return void (this.points.xy && this.hover(x, y));
    this.canvas.noteInput(event);
    if (this.drag.kind === "pan") this.view.dragTo(this.drag.grab, x, y);
    else extendPath(this.drag.points, x, y);
    this.canvas.schedule();
  }

  onPointerUp() {
    const done = this.drag;
    this.drag = null;
    if (done?.kind === "lasso" && done.points.length >= 3) {
      const polygon = done.points.map(([x, y]) => [this.view.dataX(x), this.view.dataY(y)]);
      this.setSelection(rowsInPolygon(polygon, this.points.xy, this.points.drawable), true);
    }
    this.canvas.schedule();
  }

  onWheel(event) {
    if (!this.points.xy) return;
    event.preventDefault(); // zoom the map, not scroll the notebook
    this.canvas.noteInput(event);
    const [x, y] = this.local(event);
    this.zoomAt(x, y, Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.002)));
  }

  onLeave() {
    if (this.drag) return;
    this.unhover();
    this.canvas.schedule();
  }

  bindPointer() {
    const canvas = this.ui.canvas;
    const listeners = {
      pointerdown: (e) => this.onPointerDown(e),
      pointermove: (e) => this.onPointerMove(e),
      pointerup: () => this.onPointerUp(),
      pointercancel: () => this.onPointerUp(),
      pointerleave: () => this.onLeave(),
    };
    const onWheel = (e) => this.onWheel(e);
    for (const [type, fn] of Object.entries(listeners)) canvas.addEventListener(type, fn);
    canvas.addEventListener("wheel", onWheel, { passive: false });
    return () => {
      for (const [type, fn] of Object.entries(listeners)) canvas.removeEventListener(type, fn);
      canvas.removeEventListener("wheel", onWheel);
    };
  }

  onKey(key, event) {
    if (event.repeat && !key.startsWith("Arrow") && key !== "+" && key !== "-") return true;
    const i = labelIndex(this.shortcuts, key);
    if (i >= 0) return this.labelSelection(this.classes[i]), true;
    const { width, height } = this.view;
    switch (key) {
      case "Enter": return this.openSelection(), true;
      case "Backspace": case "Delete": return this.setSelection(NO_ROWS, true), true;
      case "0": return this.resetView(), true;
      case "+": case "=": return this.zoomAt(width / 2, height / 2, 1.25), true;
      case "-": return this.zoomAt(width / 2, height / 2, 0.8), true;
      case "ArrowLeft": return this.pan(-40, 0), true;
      case "ArrowRight": return this.pan(40, 0), true;
      case "ArrowUp": return this.pan(0, 40), true;
      case "ArrowDown": return this.pan(0, -40), true;
      case "l": return this.setLassoMode(!this.lassoMode), true; // (a label's key, when "l" is one, won above)
      default: return false;
    }
  }

  zoomAt(px, py, factor) {
    this.view.zoomAt(px, py, factor);
    this.canvas.schedule();
  }

  pan(dx, dy) {
    this.view.panBy(dx, dy);
    this.canvas.schedule();
  }

  resetView() {
    this.view.fit(this.points.bounds);
    this.canvas.schedule();
  }

  setLassoMode(on) {
    this.lassoMode = on;
    this.ui.lassoButton.classList.toggle("mmw-on", on);
    this.root.classList.toggle("mmw-lassoing", on);
  }

  // ---------------------------------------------------------------- model and messages
  bindModel() {
    const { model, ui } = this;
    const handlers = {
      "change:points_version": () => this.loadPoints(),
      "change:color_by": () => this.recolor(),
      "change:selection": () => this.applyModelSelection(),
      "change:status": () => this.onStatus(),
    };
    for (const [name, fn] of Object.entries(handlers)) model.on(name, fn);
    const onColorBy = () => {
      model.set("color_by", ui.colorBy.value);
      model.save_changes();
      this.recolor();
      this.root.focus({ preventScroll: true });
    };
    ui.colorBy.addEventListener("change", onColorBy);
    return () => {
      for (const [name, fn] of Object.entries(handlers)) model.off(name, fn);
      ui.colorBy.removeEventListener("change", onColorBy);
    };
  }

  onStatus() {
    this.ui.info.textContent = `${this.points.drawable.length} points · ${statusText(this.model.get("status"))}`;
  }

  showNote(text) {
    this.ui.note.hidden = !text;
    this.ui.note.textContent = text ?? "";
  }

  showError(err) {
    this.ui.error.textContent = err?.message ?? String(err);
    this.ui.error.hidden = false;
  }

  dispose() {
    this.unbind.forEach((unbind) => unbind());
    this.canvas.dispose();
    this.preview.dispose();
    this.rpc.dispose();
    this.root.remove();
  }
}

function render({ model, el }) {
  const map = new MapWidget(model, el);
  return () => map.dispose();
}

export default { render };

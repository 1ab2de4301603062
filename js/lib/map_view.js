// The EmbeddingMap's view transform: which data point sits at the canvas centre and how many
// CSS pixels one data unit spans. Screen y grows downwards, data y upwards.

export class ViewTransform {
  constructor() {
    this.cx = 0.5;
    this.cy = 0.5;
    this.scale = 1; // CSS px per data unit
    this.width = 0; // the canvas, in CSS px
    this.height = 0;
    this.moved = false; // panned or zoomed by the user since the last fit
  }

  dataX(px) {
    return this.cx + (px - this.width / 2) / this.scale;
  }

  dataY(py) {
    return this.cy - (py - this.height / 2) / this.scale;
  }

  screenX(x) {
    return (x - this.cx) * this.scale + this.width / 2;
  }

  screenY(y) {
    return this.height / 2 - (y - this.cy) * this.scale;
  }

  /** The scale at which `bounds` fill the canvas, with a small margin. */
  fitScale(bounds) {
    const w = bounds.maxX - bounds.minX || 1, h = bounds.maxY - bounds.minY || 1;
    return 0.92 * Math.min(this.width / w, this.height / h);
  }

  /** Show all of `bounds`, centred. */
  fit(bounds) {
    this.cx = (bounds.minX + bounds.maxX) / 2;
    this.cy = (bounds.minY + bounds.maxY) / 2;
    this.scale = this.fitScale(bounds) || 1;
    this.moved = false;
  }

  /** Zoom by `factor` about the canvas point (px, py), which stays where it is. */
  zoomAt(px, py, factor) {
    const [x, y] = [this.dataX(px), this.dataY(py)];
    this.scale = Math.min(1e7, Math.max(1e-7, this.scale * factor));
    this.cx = x - (px - this.width / 2) / this.scale;
    this.cy = y + (py - this.height / 2) / this.scale;
    this.moved = true;
  }

  /** Move the view by (dx, dy) CSS px: +dx shows what is to the right, +dy what is above. */
  panBy(dx, dy) {
    this.cx += dx / this.scale;
    this.cy += dy / this.scale;
    this.moved = true;
  }

  /** A pan drag: where the view was when the pointer went down at (px, py). */
  grab(px, py) {
    return { x: px, y: py, cx: this.cx, cy: this.cy };
  }

  /** Follow a pan drag begun with grab(): the grabbed data point stays under the pointer. */
  dragTo(grab, px, py) {
    this.cx = grab.cx - (px - grab.x) / this.scale;
    this.cy = grab.cy + (py - grab.y) / this.scale;
    this.moved = true;
  }
}

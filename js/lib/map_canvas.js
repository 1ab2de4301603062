// The EmbeddingMap's canvas. Points are written straight into an ImageData through a Uint32Array
// view (one store per pixel, no path per point), so a frame of 100k points costs a few ms
// without WebGL; the lasso and the hover ring are drawn on top with the 2-D context. Frames are
// drawn only in requestAnimationFrame, at most one per display frame, and timed: the root's
// data-frame-* attributes and its mmw-frame events report them.
import { strokeLasso } from "./lasso.js";

export class PointCanvas {
  /**
   * `scene()` returns what to draw: {xy, bounds, drawable, order, colors, selected,
   * selectedRows, hoverRow, lasso (canvas points or null)}; `view` is a ViewTransform.
   */
  constructor(canvas, view, scene, root) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.view = view;
    this.scene = scene;
    this.frames = new FrameLog(root);
    this.dpr = 1;
    this.image = null;
    this.pixels = null;
    this.requested = 0;
    this.inputAt = null; // time stamp of the first input event the next frame answers
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(canvas);
  }

  /** An input event that changes the picture: the next frame reports its latency. */
  noteInput(event) {
    this.inputAt ??= event.timeStamp;
  }

  schedule() {
    if (!this.requested) this.requested = requestAnimationFrame(() => this.draw());
  }

  resize() {
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (!w || !h) return;
    this.dpr = window.devicePixelRatio || 1;
    this.view.width = w;
    this.view.height = h;
    this.canvas.width = Math.round(w * this.dpr);
    this.canvas.height = Math.round(h * this.dpr);
    this.image = this.ctx.createImageData(this.canvas.width, this.canvas.height);
    this.pixels = new Uint32Array(this.image.data.buffer);
    if (!this.view.moved) this.view.fit(this.scene().bounds);
    this.schedule();
  }

  draw() {
    this.requested = 0;
    const scene = this.scene();
    if (!this.pixels || !scene.xy) return;
    const t0 = performance.now();
    this.pixels.fill(0);
    const size = this.dotSize(scene);
    const dim = scene.selectedRows.length > 0;
    // the coloured points (labeled, predicted) one device pixel larger on each side than the
    // grey ones, so that a few labels among thousands of unlabeled points stand out
    const split = Math.min(scene.uncolored ?? 0, scene.order.length);
    const bump = split > 0 ? 2 * Math.max(1, Math.round(this.dpr)) : 0;
    this.plot(scene, scene.order.subarray(0, split), size, dim);
    this.plot(scene, scene.order.subarray(split), size + bump, dim);
    if (dim) this.plot(scene, scene.selectedRows, size + 1, false);
    this.ctx.putImageData(this.image, 0, 0);
    this.overlay(scene);
    const ms = performance.now() - t0;
    const latency = this.inputAt === null ? null : performance.now() - this.inputAt;
    this.inputAt = null;
    this.frames.record(ms, latency, scene.drawable.length);
  }

  /** Dot side in device px: bigger when there are fewer points, and when zoomed in (up to 2x). */
  dotSize(scene) {
    const m = scene.drawable.length;
    const base = m > 50_000 ? 2 : m > 5_000 ? 3 : m > 500 ? 4 : 6;
    const zoom = Math.sqrt(this.view.scale / (this.view.fitScale(scene.bounds) || 1));
    return Math.max(1, Math.round(this.dpr * base * Math.min(2, Math.max(1, zoom))));
  }

  /** Square dots of `rows`; with `dim`, the unselected ones faded. */
  plot({ xy, colors, selected }, rows, size, dim) {
    const { width: W, height: H } = this.canvas;
    const pixels = this.pixels, view = this.view;
    const k = view.scale * this.dpr, half = size / 2;
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

  overlay({ xy, hoverRow, lasso }) {
    const ctx = this.ctx;
    ctx.save();
    ctx.scale(this.dpr, this.dpr);
    if (lasso) strokeLasso(ctx, lasso);
    if (hoverRow >= 0) {
      ctx.beginPath();
      ctx.arc(this.view.screenX(xy[2 * hoverRow]), this.view.screenY(xy[2 * hoverRow + 1]), 6, 0, 2 * Math.PI);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#000";
      ctx.stroke();
    }
    ctx.restore();
  }

  dispose() {
    this.observer.disconnect();
    cancelAnimationFrame(this.requested);
  }
}

/** The last 240 frame times, their median and maximum on the root's dataset, each as an event. */
class FrameLog {
  constructor(root) {
    this.root = root;
    this.times = [];
    this.count = 0;
  }

  record(ms, latency, points) {
    this.times.push(ms);
    if (this.times.length > 240) this.times.shift();
    const sorted = [...this.times].sort((a, b) => a - b);
    Object.assign(this.root.dataset, {
      frameMs: ms.toFixed(3),
      frameP50: sorted[Math.floor((sorted.length - 1) / 2)].toFixed(3),
      frameMax: sorted[sorted.length - 1].toFixed(3),
      frames: String(++this.count),
    });
    this.root.dispatchEvent(new CustomEvent("mmw-frame", { detail: { ms, latency, points } }));
  }
}

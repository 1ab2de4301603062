// A waveform overview drawn by us into a <canvas>, from the peaks Python sent (one float32 per
// bucket: the largest absolute amplitude in it, mmwidgets/data/_audio.py). A card draws it when
// it is built, off-screen, so the waveform is on screen in the same frame as the card; the
// player hands over to wavesurfer.js only when the person plays or seeks (player.js). The look
// matches the wavesurfer options there (bars 2 px wide, 1 px apart, normalized).

/** Drawing options shared with the wavesurfer hand-over, so both look the same. */
export const WAVE_LOOK = Object.freeze({ barWidth: 2, barGap: 1, barRadius: 1, waveColor: "#9aa5b1" });

/**
 * The bars for `peaks` in a canvas of `width` x `height` device pixels: [{x, y, width, height}],
 * whole device pixels, centred vertically, left to right. Bars are `barWidth` CSS px wide and
 * `barGap` apart (times `pixelRatio`); each takes the largest peak of the buckets under it and
 * its height is that peak over the clip's largest (normalized), at least one device pixel so
 * silence shows as a line. Non-finite peaks count as silence. Pure: no DOM.
 */
export function waveBars(peaks, width, height, { barWidth = WAVE_LOOK.barWidth, barGap = WAVE_LOOK.barGap, pixelRatio = 1 } = {}) {
  const n = peaks?.length ?? 0;
  if (!n || !(width >= 1) || !(height >= 1)) return [];
  const bar = Math.max(1, Math.round(barWidth * pixelRatio));
  const step = bar + Math.max(0, Math.round(barGap * pixelRatio));
  const count = Math.max(1, Math.floor((width + step - bar) / step)); // the last bar needs no gap
  let top = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(peaks[i]);
    if (v > top && Number.isFinite(v)) top = v;
  }
  const bars = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * n) / count);
    const to = Math.max(from + 1, Math.floor(((i + 1) * n) / count));
    let peak = 0;
    for (let j = from; j < to; j++) {
      const v = Math.abs(peaks[j]);
      if (v > peak && Number.isFinite(v)) peak = v;
    }
    const tall = Math.min(height, Math.max(1, top > 0 ? Math.round((peak / top) * height) : 0));
    bars.push({ x: i * step, y: Math.floor((height - tall) / 2), width: bar, height: tall });
  }
  return bars;
}

/**
 * Draw `peaks` into `canvas` at `cssWidth` x `cssHeight` CSS px for `pixelRatio` (the canvas's
 * backing store is that many device pixels; its CSS size is left to the caller's style). Marks
 * the canvas data-drawn="1" and records what it was drawn for (data-css-width, data-ratio), so
 * a resize can tell whether to draw again. Returns the number of bars drawn.
 */
export function drawWaveform(canvas, peaks, cssWidth, cssHeight, { pixelRatio = 1, color = WAVE_LOOK.waveColor } = {}) {
  const ratio = pixelRatio > 0 && Number.isFinite(pixelRatio) ? pixelRatio : 1;
  canvas.width = Math.max(1, Math.round(cssWidth * ratio));
  canvas.height = Math.max(1, Math.round(cssHeight * ratio));
  const ctx = canvas.getContext("2d");
  const bars = waveBars(peaks, canvas.width, canvas.height, { pixelRatio: ratio });
  if (!ctx) return 0;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = color;
  ctx.beginPath();
  const radius = WAVE_LOOK.barRadius * ratio;
  for (const b of bars) {
    if (radius && typeof ctx.roundRect === "function") ctx.roundRect(b.x, b.y, b.width, b.height, Math.min(radius, b.width / 2, b.height / 2));
    else ctx.rect(b.x, b.y, b.width, b.height);
  }
  ctx.fill();
  canvas.dataset.drawn = "1";
  canvas.dataset.cssWidth = String(cssWidth);
  canvas.dataset.ratio = String(ratio);
  return bars.length;
}

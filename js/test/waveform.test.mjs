// node --test js/test/ — the waveform drawn from peaks (js/lib/waveform.js): bar layout for a
// canvas size and pixel ratio, normalization, and drawing into a recording 2D context.
import assert from "node:assert/strict";
import { test } from "node:test";

import { drawWaveform, waveBars } from "../lib/waveform.js";

test("bars fill the width at barWidth + barGap per bar, in device pixels", () => {
  const peaks = new Float32Array(400).fill(0.5);
  const bars = waveBars(peaks, 300, 48); // 3 px per bar: 2 wide, 1 gap; the last needs no gap
  assert.equal(bars.length, 100);
  assert.deepEqual(bars[0], { x: 0, y: 0, width: 2, height: 48 }); // all equal: all full height
  assert.equal(bars.at(-1).x, 297);
  assert.ok(bars.at(-1).x + bars.at(-1).width <= 300);
  assert.equal(waveBars(peaks, 299, 48).length, 100); // 297 + 2 = 299 still fits
  assert.equal(waveBars(peaks, 298, 48).length, 99);
});

test("a pixel ratio of 2 doubles bar width and gap", () => {
  const peaks = new Float32Array(400).fill(0.25);
  const bars = waveBars(peaks, 600, 96, { pixelRatio: 2 });
  assert.equal(bars.length, 100);
  assert.deepEqual(bars.slice(0, 2).map((b) => [b.x, b.width]), [[0, 4], [6, 4]]);
  assert.ok(bars.every((b) => b.height === 96));
});

test("heights are normalized to the largest peak, centred, each bar the max of its buckets", () => {
  const peaks = Float32Array.from([0.1, 0.2, 0.05, 0.05, 0.4, 0.0, -0.3, 0.1]);
  const bars = waveBars(peaks, 11, 40); // 4 bars, 2 buckets each
  assert.deepEqual(bars.map((b) => b.height), [20, 5, 40, 30]);
  assert.deepEqual(bars.map((b) => b.y), [10, 17, 0, 5]);
  assert.deepEqual(bars.map((b) => b.x), [0, 3, 6, 9]);
});

test("silence and non-finite peaks draw a one-pixel line; nothing to draw gives no bars", () => {
  const silent = waveBars(new Float32Array(10), 30, 48);
  assert.equal(silent.length, 10);
  assert.ok(silent.every((b) => b.height === 1 && b.y === 23));
  const broken = waveBars(Float32Array.from([NaN, Infinity, 0.5, 0.25]), 12, 20);
  assert.deepEqual(broken.map((b) => b.height), [1, 1, 20, 10]);
  assert.deepEqual(waveBars(new Float32Array(0), 300, 48), []);
  assert.deepEqual(waveBars(null, 300, 48), []);
  assert.deepEqual(waveBars(new Float32Array(4).fill(1), 0, 48), []);
});

test("more bars than peaks repeat buckets instead of leaving gaps", () => {
  const bars = waveBars(Float32Array.from([1, 0.5]), 12, 10);
  assert.deepEqual(bars.map((b) => b.height), [10, 10, 5, 5]);
});

test("drawWaveform sizes the backing store for the pixel ratio, fills every bar and marks it drawn", () => {
  const calls = [];
  const ctx = {
    clearRect: (...a) => calls.push(["clear", ...a]),
    beginPath: () => calls.push(["begin"]),
    roundRect: (...a) => calls.push(["bar", ...a]),
    fill: () => calls.push(["fill", ctx.fillStyle]),
    fillStyle: "",
  };
  const canvas = { width: 0, height: 0, dataset: {}, getContext: (kind) => (kind === "2d" ? ctx : null) };
  const drawn = drawWaveform(canvas, new Float32Array(400).fill(0.3), 150.4, 48, { pixelRatio: 2 });
  assert.equal(canvas.width, 301);
  assert.equal(canvas.height, 96);
  assert.equal(drawn, 50); // 6 device px per bar at ratio 2
  assert.equal(calls.filter((c) => c[0] === "bar").length, 50);
  assert.deepEqual(calls.at(-1), ["fill", "#9aa5b1"]);
  assert.deepEqual(canvas.dataset, { drawn: "1", cssWidth: "150.4", ratio: "2" });
});

// node --test js/test/ — the EmbeddingMap's pure parts: view transform, layout and hover grid,
// lasso, point colours (js/lib/map_*.js, lasso.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { contains, extendPath, rowsInPolygon } from "../lib/lasso.js";
import { NONE, PALETTE, RAMP, pointColors } from "../lib/map_colors.js";
import { buildGrid, layoutOf, nearestRow } from "../lib/map_index.js";
import { ViewTransform } from "../lib/map_view.js";
import { BY_LABEL, BY_PREDICTION, BY_UNCERTAINTY } from "../lib/protocol.js";

function view(width = 400, height = 200) {
  const v = new ViewTransform();
  Object.assign(v, { width, height });
  return v;
}

test("fit centres the bounds and screen <-> data round-trips", () => {
  const v = view();
  v.fit({ minX: -1, maxX: 1, minY: 0, maxY: 4 });
  assert.deepEqual([v.cx, v.cy], [0, 2]);
  assert.equal(v.scale, 0.92 * Math.min(400 / 2, 200 / 4));
  assert.equal(v.moved, false);
  assert.equal(v.screenX(v.dataX(123)), 123);
  assert.equal(v.screenY(v.dataY(45)), 45);
  assert.ok(v.dataY(0) > v.dataY(200)); // data y grows upwards
  const flat = view(0, 0);
  flat.fit({ minX: 0, maxX: 1, minY: 0, maxY: 1 });
  assert.equal(flat.scale, 1); // a canvas without a size yet still has a usable scale
});

test("zooming keeps the point under the cursor; pans move the view", () => {
  const v = view();
  v.fit({ minX: 0, maxX: 10, minY: 0, maxY: 10 });
  const [x, y] = [v.dataX(300), v.dataY(50)];
  v.zoomAt(300, 50, 2);
  assert.ok(Math.abs(v.dataX(300) - x) < 1e-12 && Math.abs(v.dataY(50) - y) < 1e-12);
  assert.equal(v.moved, true);
  const before = v.cx;
  v.panBy(40, 0);
  assert.ok(Math.abs(v.cx - before - 40 / v.scale) < 1e-12);
  const grab = v.grab(100, 100);
  const under = [v.dataX(100), v.dataY(100)];
  v.dragTo(grab, 160, 70);
  assert.ok(Math.abs(v.dataX(160) - under[0]) < 1e-12 && Math.abs(v.dataY(70) - under[1]) < 1e-12);
});

test("the layout skips rows without a position; the grid finds the nearest point", () => {
  const xy = Float32Array.of(0, 0, NaN, 1, 1, 1, 5, 5, 0.2, 0.1);
  const { drawable, bounds } = layoutOf(xy, 5);
  assert.deepEqual([...drawable], [0, 2, 3, 4]);
  assert.deepEqual(bounds, { minX: 0, maxX: 5, minY: 0, maxY: 5 });
  const grid = buildGrid(xy, drawable, bounds);
  assert.equal(nearestRow(grid, 0.15, 0.1, 0.5), 4);
  assert.equal(nearestRow(grid, 4.8, 5, 0.5), 3);
  assert.equal(nearestRow(grid, 3, 3, 0.5), -1); // nothing that near
  assert.equal(nearestRow(null, 0, 0, 1), -1);
  assert.deepEqual(layoutOf(Float32Array.of(NaN, NaN), 1), { drawable: new Int32Array(0), bounds: { minX: 0, maxX: 1, minY: 0, maxY: 1 } });
});

test("the grid agrees with a brute-force search on many random points", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const n = 5000;
  const xy = Float32Array.from({ length: 2 * n }, random);
  const { drawable, bounds } = layoutOf(xy, n);
  const grid = buildGrid(xy, drawable, bounds);
  for (let t = 0; t < 200; t++) {
    const [x, y, r] = [random(), random(), 0.02];
    let best = -1, bestD = r * r;
    for (let i = 0; i < n; i++) {
      const d = (xy[2 * i] - x) ** 2 + (xy[2 * i + 1] - y) ** 2;
      if (d <= bestD) [best, bestD] = [i, d];
    }
    const found = nearestRow(grid, x, y, r);
    if (best < 0) assert.equal(found, -1);
    else assert.equal((xy[2 * found] - x) ** 2 + (xy[2 * found + 1] - y) ** 2, bestD);
  }
});

test("the lasso selects the rows inside its polygon (even-odd), ignoring the rest", () => {
  const square = [[0, 0], [2, 0], [2, 2], [0, 2]];
  assert.equal(contains(square, 1, 1), true);
  assert.equal(contains(square, 3, 1), false);
  const xy = Float32Array.of(1, 1, 3, 1, 0.5, 1.5, NaN, NaN);
  assert.deepEqual([...rowsInPolygon(square, xy, Int32Array.of(0, 1, 2))], [0, 2]);
  const u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]]; // a U: its notch is outside
  assert.equal(contains(u, 1.5, 2), false);
  assert.equal(contains(u, 0.5, 2), true);
  const path = [[0, 0]];
  extendPath(path, 1, 0); // under 2 px: skipped
  extendPath(path, 2, 1);
  assert.deepEqual(path, [[0, 0], [2, 1]]);
});

test("colours follow the mode; uncoloured points are drawn first", () => {
  const points = {
    n: 4,
    drawable: Int32Array.of(0, 1, 3),
    label: Int16Array.of(1, -1, 0, 0),
    prediction: Int16Array.of(0, 1, 1, -1),
    confidence: Float32Array.of(1, 0.5, 0.9, 0),
  };
  const byLabel = pointColors(BY_LABEL, points, 2);
  assert.deepEqual([...byLabel.colors], [PALETTE[1].word, NONE, 0, PALETTE[0].word]);
  assert.deepEqual([...byLabel.order], [1, 0, 3]);
  assert.equal(byLabel.uncolored, 1); // the unlabeled point first, drawn smaller underneath
  const byPrediction = pointColors(BY_PREDICTION, points, 2);
  assert.deepEqual([...byPrediction.order], [3, 0, 1]);
  const byUncertainty = pointColors(BY_UNCERTAINTY, points, 2);
  assert.equal(byUncertainty.colors[0], RAMP[0].word); // fully confident
  assert.equal(byUncertainty.colors[1], RAMP[63].word); // at chance for 2 classes
  assert.equal(byUncertainty.colors[3], NONE); // no prediction
});

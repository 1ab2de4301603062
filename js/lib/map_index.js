// The EmbeddingMap's layout and the spatial index hover uses: which rows have a position, their
// bounds, and a uniform grid over them (built once per layout), so finding the point under the
// pointer looks at a few cells, not at every point.

/** Rows with a finite position (ascending) and their bounds; xy holds x, y interleaved. */
export function layoutOf(xy, n) {
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
  const bounds = rows.length ? { minX, maxX, minY, maxY } : { minX: 0, maxX: 1, minY: 0, maxY: 1 };
  return { drawable: Int32Array.from(rows), bounds };
}

/** A grid of about 4 points per cell (at most 512 x 512) over the drawable rows. */
export function buildGrid(xy, drawable, bounds) {
  const m = drawable.length;
  const side = Math.max(1, Math.min(512, Math.ceil(Math.sqrt(m / 4))));
  const cw = (bounds.maxX - bounds.minX) / side || 1, ch = (bounds.maxY - bounds.minY) / side || 1;
  const cell = (i) => {
    const gx = Math.min(side - 1, Math.floor((xy[2 * i] - bounds.minX) / cw));
    const gy = Math.min(side - 1, Math.floor((xy[2 * i + 1] - bounds.minY) / ch));
    return gy * side + gx;
  };
  const start = new Int32Array(side * side + 1); // counting sort: cell c holds items[start[c]..start[c+1])
  for (let k = 0; k < m; k++) start[cell(drawable[k]) + 1]++;
  for (let c = 0; c < side * side; c++) start[c + 1] += start[c];
  const fill = start.slice(0, -1), items = new Int32Array(m);
  for (let k = 0; k < m; k++) items[fill[cell(drawable[k])]++] = drawable[k];
  return { xy, bounds, side, cw, ch, start, items, size: m };
}

/** The row nearest the data point (x, y) within distance r, or -1. */
export function nearestRow(grid, x, y, r) {
  if (!grid || !grid.size) return -1;
  const { xy, bounds, side, cw, ch, start, items } = grid;
  const clampCell = (v) => Math.max(0, Math.min(side - 1, v));
  let gx0 = clampCell(Math.floor((x - r - bounds.minX) / cw)), gx1 = clampCell(Math.floor((x + r - bounds.minX) / cw));
  let gy0 = clampCell(Math.floor((y - r - bounds.minY) / ch)), gy1 = clampCell(Math.floor((y + r - bounds.minY) / ch));
  // zoomed far out, r spans many cells: look at the 17 x 17 around the pointer only
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

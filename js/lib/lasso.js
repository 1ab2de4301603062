// The EmbeddingMap's lasso: a freehand polygon in canvas pixels, and the rows inside it.

/** Extend a lasso path by the pointer at (x, y), skipping moves under 2 px (fewer edges). */
export function extendPath(points, x, y) {
  const [lx, ly] = points[points.length - 1];
  if (Math.abs(x - lx) + Math.abs(y - ly) >= 2) points.push([x, y]);
}

/** The rows (of `rows`) whose position lies inside `polygon` ([[x, y], ...], data units). */
export function rowsInPolygon(polygon, xy, rows) {
  const xs = polygon.map((p) => p[0]), ys = polygon.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const inside = [];
  for (const i of rows) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    if (x < x0 || x > x1 || y < y0 || y > y1) continue;
    if (contains(polygon, x, y)) inside.push(i);
  }
  return Int32Array.from(inside);
}

/** Even-odd rule: a point is inside when a ray to its right crosses the edges an odd number of times. */
export function contains(polygon, x, y) {
  let inside = false;
  for (let a = 0, b = polygon.length - 1; a < polygon.length; b = a++) {
    const [xa, ya] = polygon[a], [xb, yb] = polygon[b];
    if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
  }
  return inside;
}

/** Draw the lasso path (canvas context in CSS px). */
export function strokeLasso(ctx, points) {
  if (points.length < 2) return;
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.closePath();
  ctx.fillStyle = "rgba(25, 118, 210, 0.08)";
  ctx.strokeStyle = "rgba(25, 118, 210, 0.9)";
  ctx.setLineDash([4, 3]);
  ctx.fill();
  ctx.stroke();
}

// Small SVG charts for the Dashboard: vector graphics rebuilt from numbers (no image round
// trips). Text goes in as textContent, like everywhere else.
import { fixed } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";

/** s("rect", {x: 1, class: "c"}, child, "text") — an SVG element. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) if (child != null && child !== false) el.append(child);
  return el;
}

/**
 * Line chart: series = [{name, points: [[x, y]], cls, dashed}], y in [0, 1].
 * Returns an <svg> with one <path class="mmw-line {cls}"> per series and a legend.
 */
export function lineChart(series, { width = 380, height = 224, xLabel = "", yLabel = "" } = {}) {
  const pad = { l: 38, r: 10, t: 10, b: 48 };
  const xs = series.flatMap((d) => d.points.map((p) => p[0]));
  const xMax = Math.max(10, ...xs);
  const X = (x) => pad.l + ((width - pad.l - pad.r) * x) / xMax;
  const Y = (y) => height - pad.b - (height - pad.t - pad.b) * Math.min(1, Math.max(0, y));
  const grid = [0, 0.25, 0.5, 0.75, 1].map((v) => [
    s("line", { x1: pad.l, x2: width - pad.r, y1: Y(v), y2: Y(v), class: "mmw-gridline" }),
    s("text", { x: pad.l - 4, y: Y(v) + 4, "text-anchor": "end", class: "mmw-tick", text: v.toFixed(2) }),
  ]);
  const ticks = niceTicks(xMax).map((v) => s("text", { x: X(v), y: height - pad.b + 14, "text-anchor": "middle", class: "mmw-tick", text: String(v) }));
  const lines = series
    .filter((d) => d.points.length)
    .map((d) =>
      s("path", {
        class: `mmw-line ${d.cls ?? ""}`,
        d: d.points.map((p, i) => `${i ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(""),
        "stroke-dasharray": d.dashed ? "5 4" : null,
        "data-series": d.name,
        "data-n": d.points.length,
      }),
    );
  const dots = series.flatMap((d) => (d.points.length === 1 ? [s("circle", { cx: X(d.points[0][0]), cy: Y(d.points[0][1]), r: 3, class: `mmw-dot ${d.cls ?? ""}` })] : []));
  const offsets = series.map((_, i) => series.slice(0, i).reduce((x, d) => x + 34 + 5.6 * d.name.length, 0));
  const legend = series.map((d, i) =>
    s("g", { transform: `translate(${pad.l + 8 + offsets[i]},${height - 16})` },
      s("line", { x1: 0, x2: 16, y1: 6, y2: 6, class: `mmw-line ${d.cls ?? ""}`, "stroke-dasharray": d.dashed ? "5 4" : null }),
      s("text", { x: 20, y: 10, class: "mmw-tick", text: d.name })),
  );
  return s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "mmw-chart", role: "img" },
    grid, ticks, lines, dots, legend,
    s("text", { x: (width + pad.l) / 2, y: height - pad.b + 27, "text-anchor": "middle", class: "mmw-axis", text: xLabel }),
    s("text", { x: 10, y: pad.t + (height - pad.b) / 2, transform: `rotate(-90 10 ${pad.t + (height - pad.b) / 2})`, "text-anchor": "middle", class: "mmw-axis", text: yLabel }));
}

function niceTicks(max) {
  const step = [5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000].find((st) => max / st <= 6) ?? Math.ceil(max / 5);
  const out = [];
  for (let v = 0; v <= max; v += step) out.push(v);
  return out;
}

/**
 * Confusion matrix: rows are true classes, columns predicted. Each cell is a <g> with
 * data-true / data-pred / data-count; onCell(true, pred, count) on click.
 */
export function confusionChart(matrix, classes, onCell) {
  const cell = Math.max(18, Math.min(34, Math.floor(300 / Math.max(1, classes.length))));
  // room for the longest class name, whole (up to 24 characters): rows read it level on the
  // left, columns at -50° above, so the margins follow its length (~6.4 px a character)
  const shown = (c) => (c.length > 24 ? `${c.slice(0, 23)}…` : c);
  const longest = Math.max(1, ...classes.map((c) => shown(c).length)) * 6.4;
  const angle = (50 * Math.PI) / 180;
  const left = Math.ceil(longest + 8);
  const top = Math.ceil(longest * Math.sin(angle) + 16);
  const size = cell * classes.length;
  const right = Math.max(4, Math.ceil(longest * Math.cos(angle) - cell / 2 + 4));
  const max = Math.max(1, ...matrix.flat());
  const cells = matrix.flatMap((row, i) =>
    row.map((count, j) => {
      const share = count / max;
      return s("g", { class: `mmw-cell${i === j ? " mmw-diag" : ""}${count ? " mmw-clickable" : ""}`, "data-true": classes[i], "data-pred": classes[j], "data-count": count,
        onclick: () => count && onCell(classes[i], classes[j], count) },
        s("title", { text: `${count} labeled ${classes[i]}, predicted ${classes[j]}` }),
        s("rect", { x: left + j * cell, y: top + i * cell, width: cell - 1, height: cell - 1, class: "mmw-cell-bg", "fill-opacity": (0.08 + 0.92 * share).toFixed(3) }),
        count ? s("text", { x: left + j * cell + cell / 2, y: top + i * cell + cell / 2 + 4, "text-anchor": "middle", class: share > 0.5 ? "mmw-cell-text mmw-on-dark" : "mmw-cell-text", text: String(count) }) : null);
    }),
  );
  const rows = classes.map((c, i) => s("text", { x: left - 4, y: top + i * cell + cell / 2 + 4, "text-anchor": "end", class: "mmw-tick mmw-row-tick", text: shown(c) }));
  const cols = classes.map((c, j) => {
    const x = left + j * cell + cell / 2;
    return s("text", { x, y: top - 4, transform: `rotate(-50 ${x} ${top - 4})`, class: "mmw-tick mmw-col-tick", text: shown(c) });
  });
  const w = left + size + right;
  const h = top + size + 4;
  return s("svg", { viewBox: `0 0 ${w} ${h}`, width: w, height: h, class: "mmw-chart mmw-confusion", role: "img" },
    rows, cols, cells,
    s("text", { x: 2, y: 12, class: "mmw-axis", text: "true ↓ · predicted →" }));
}

/** Horizontal bars: rows = [{name, value, text, cls}], value in [0, max]. */
export function barChart(rows, { max = null, width = 320, unit = (v) => fixed(v) } = {}) {
  const top = max ?? Math.max(1e-9, ...rows.map((r) => r.value));
  const rowH = 18;
  const labelW = 96;
  const barW = width - labelW - 56;
  return s("svg", { viewBox: `0 0 ${width} ${rows.length * rowH + 4}`, width, height: rows.length * rowH + 4, class: "mmw-chart mmw-bars", role: "img" },
    rows.map((r, i) =>
      s("g", { class: `mmw-bar-row ${r.cls ?? ""}`, "data-name": r.name, "data-value": r.value },
        s("text", { x: labelW - 4, y: i * rowH + 13, "text-anchor": "end", class: "mmw-tick", text: r.name.length > 14 ? `${r.name.slice(0, 13)}…` : r.name }),
        s("rect", { x: labelW, y: i * rowH + 3, height: rowH - 6, width: Math.max(0, (barW * r.value) / top), class: "mmw-bar-rect" }),
        s("text", { x: labelW + Math.max(0, (barW * r.value) / top) + 4, y: i * rowH + 13, class: "mmw-tick", text: r.text ?? unit(r.value) }))));
}

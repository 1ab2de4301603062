// The Dashboard front end (mmwidgets/widgets/dashboard.py): every number arrives in the synced
// `data` trait and is drawn as SVG; a click on a confusion cell (or "review suspected errors")
// asks Python to open the items behind it in a Gallery below. A team's store also gets an
// "Agreement" panel (Session.agreement()), hidden while one person labels.
import { agreementTables } from "./lib/agreement.js";
import { barChart, confusionChart, lineChart } from "./lib/charts.js";
import { fixed, h, replace } from "./lib/dom.js";
import { statusText } from "./lib/panels.js";
import { DRILL } from "./lib/protocol.js";
import { createRpc } from "./lib/rpc.js";
import { injectStyle } from "./lib/style.js";

const CSS = `
.mmw-dashboard .mmw-dash-head { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: baseline; margin-bottom: 8px; }
.mmw-dashboard .mmw-metric { font-weight: 600; font-variant-numeric: tabular-nums; }
.mmw-dashboard .mmw-dash-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 10px; }
.mmw-dashboard .mmw-card-box { background: var(--mmw-bg2); border-radius: 4px; padding: 8px; min-width: 0; overflow-x: auto; }
.mmw-dashboard .mmw-chart { display: block; max-width: 100%; height: auto; font-size: 10px; }
.mmw-dashboard .mmw-gridline { stroke: var(--mmw-border); stroke-width: 1; }
.mmw-dashboard .mmw-tick, .mmw-dashboard .mmw-axis { fill: var(--mmw-muted); font-size: 10px; }
.mmw-dashboard .mmw-line { fill: none; stroke-width: 2; stroke: var(--mmw-accent); }
.mmw-dashboard .mmw-line.mmw-f1 { stroke: #e07b00; }
.mmw-dashboard .mmw-line.mmw-baseline { stroke: var(--mmw-muted); }
.mmw-dashboard .mmw-dot { fill: var(--mmw-accent); }
.mmw-dashboard .mmw-dot.mmw-f1 { fill: #e07b00; }
.mmw-dashboard .mmw-cell-bg { fill: var(--mmw-accent); }
.mmw-dashboard .mmw-cell:not(.mmw-diag) .mmw-cell-bg { fill: var(--mmw-error); }
.mmw-dashboard .mmw-clickable { cursor: pointer; }
.mmw-dashboard .mmw-clickable:hover .mmw-cell-bg { stroke: var(--mmw-fg); stroke-width: 1.5; }
.mmw-dashboard .mmw-cell-text { fill: var(--mmw-fg); font-size: 10px; pointer-events: none; }
.mmw-dashboard .mmw-on-dark { fill: #fff; }
.mmw-dashboard .mmw-bar-rect { fill: var(--mmw-accent); }
.mmw-dashboard .mmw-bar-row.mmw-base .mmw-bar-rect { fill: var(--mmw-ok); }
.mmw-dashboard table { border-collapse: collapse; font-variant-numeric: tabular-nums; width: 100%; }
.mmw-dashboard th, .mmw-dashboard td { padding: 2px 6px; text-align: right; border-bottom: 1px solid var(--mmw-border); }
.mmw-dashboard th:first-child, .mmw-dashboard td:first-child { text-align: left; }
.mmw-dashboard .mmw-note { color: var(--mmw-muted); font-size: 12px; margin-top: 4px; }
.mmw-dashboard .mmw-card-box[hidden] { display: none; }
.mmw-dashboard .mmw-agreement-summary { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 4px 0 6px; }
.mmw-dashboard .mmw-agreement table + .mmw-note { margin-top: 8px; }
.mmw-dashboard .mmw-model-line { flex-basis: 100%; color: var(--mmw-muted); font-size: 12px; }
.mmw-dashboard .mmw-model-line .mmw-model-choice { color: var(--mmw-fg); }
`;

function render({ model, el }) {
  const rpc = createRpc(model);
  injectStyle(el);
  el.prepend(h("style", { "data-mmw-dashboard": "", text: CSS }));

  const error = h("div", { class: "mmw-error", role: "alert", hidden: true });
  const head = h("div", { class: "mmw-dash-head" });
  const card = (name, title) => {
    const body = h("div", { class: "mmw-card-body" });
    return { el: h("div", { class: `mmw-card-box mmw-dash-${name}` }, h("div", { class: "mmw-panel-title", text: title }), body), body };
  };
  const curve = card("curve", "Learning curve (cross-validated)");
  const confusion = card("confusion", "Confusion matrix — click a cell to review its items");
  const perClass = card("per-class", "Per class");
  const counts = card("counts", "Label distribution");
  const modality = card("modality", "Modality contribution");
  const agreement = card("agreement", "Agreement");
  agreement.el.classList.add("mmw-agreement");
  const root = h("div", { class: "mmw mmw-dashboard", tabindex: "0" }, error, head,
    h("div", { class: "mmw-dash-grid" }, curve.el, confusion.el, perClass.el, modality.el, counts.el, agreement.el));
  el.append(root);

  function drill(args, what) {
    rpc
      .request(DRILL, args)
      .then(({ result }) => {
        error.hidden = true;
        root.dataset.drilled = `${what}:${result.n}`;
      })
      .catch(showError);
  }
  function showError(err) {
    error.textContent = err?.message ?? String(err);
    error.hidden = false;
  }

  function metric(name, caption, value) {
    return h("span", {}, `${caption} `, h("span", { class: "mmw-metric", "data-name": name, text: fixed(value, 3) }));
  }

  function sourcesLine(sources) {
    // who labeled what: people, and the model (auto_label) with its audited precision
    if (!sources?.model) return null;
    const lows = (sources.audits ?? []).map((a) => a.low).filter((v) => v != null);
    const audited = lows.length ? ` (audited precision ≥ ${fixed(Math.min(...lows), 3)})` : "";
    return h("span", { class: "mmw-sources" },
      h("span", { "data-name": "people", text: `${sources.people} by people` }), " · ",
      h("span", { "data-name": "model", text: `${sources.model} by the model${audited}` }));
  }

  function drawHead(data) {
    const m = data.metrics;
    replace(head,
      h("span", { class: "mmw-panel-title", text: `${data.n_labeled} labeled` }),
      sourcesLine(data.sources),
      m ? [metric("accuracy", "accuracy", m.accuracy), metric("macro_f1", "macro-F1", m.macro_f1),
        metric("macro_precision", "precision", m.macro_precision), metric("macro_recall", "recall", m.macro_recall),
        metric("mean_average_precision", "mAP", m.mean_average_precision),
        h("span", { class: "mmw-muted", text: `(${m.folds}-fold CV on ${data.evaluated_on} labels)` })]
        : h("span", { class: "mmw-muted", text: "metrics appear once a few items of two classes are labeled" }),
      h("button", { class: "mmw-review", type: "button", onclick: () => drill({ k: 24 }, "suspects") }, "review suspected errors"),
      h("span", { class: "mmw-status", text: statusText(model.get("status")) }),
      modelLine(data));
  }

  function modelLine(data) {
    // which model serves and why (chosen on out-of-fold evidence), and how honest its
    // confidence is: all numbers computed in Python, shown as text
    const choice = data.model_choice;
    const cal = data.calibration;
    if (!choice && !cal) return null;
    const parts = [];
    if (choice) parts.push(h("span", { class: "mmw-model-choice", "data-name": "model_choice", text: choice.reason }));
    if (cal) {
      const ece = cal.ece == null ? "" : `top-label ECE ${fixed(cal.ece, 3)}${cal.ece_uncalibrated == null ? "" : ` (${fixed(cal.ece_uncalibrated, 3)} uncalibrated)`}, `;
      parts.push(" · ", h("span", { class: "mmw-calibration", "data-name": "calibration",
        text: `confidence calibrated: ${ece}temperature ${fixed(cal.temperature, 2)}` }));
    }
    return h("div", { class: "mmw-model-line" }, parts);
  }

  function draw() {
    const data = model.get("data") ?? {};
    root.dataset.version = String(data.model_version ?? 0);
    root.dataset.evaluatedOn = String(data.evaluated_on ?? 0);
    drawHead(data);
    const m = data.metrics;
    const series = [
      { name: "accuracy", cls: "mmw-acc", points: (data.curve ?? []).map((p) => [p.n_labels, p.accuracy]) },
      { name: "macro-F1", cls: "mmw-f1", points: (data.curve ?? []).map((p) => [p.n_labels, p.macro_f1]) },
    ];
    if (data.baseline?.length) series.push({ name: "random (simulated)", cls: "mmw-baseline", dashed: true, points: data.baseline.map((p) => [p.n_labels, p.accuracy]) });
    replace(curve.body, lineChart(series, { xLabel: "labels", yLabel: "score" }),
      data.curve?.length ? null : h("div", { class: "mmw-note", text: "the curve grows as labels arrive (an evaluation every few labels)" }));

    if (m?.confusion) replace(confusion.body, confusionChart(m.confusion, m.classes, (t, p) => drill({ cell: [t, p] }, `${t}>${p}`)));
    else replace(confusion.body, h("div", { class: "mmw-note", text: m ? "no confusion matrix for multi-label tasks" : "not evaluated yet" }));

    if (m) {
      const rows = Object.entries(m.per_class).filter(([, v]) => v.support > 0);
      replace(perClass.body, h("table", { class: "mmw-per-class" },
        h("thead", {}, h("tr", {}, ["class", "precision", "recall", "F1", "support"].map((c) => h("th", { text: c })))),
        h("tbody", {}, rows.map(([label, v]) => h("tr", { "data-label": label },
          h("td", { text: label }), h("td", { text: fixed(v.precision) }), h("td", { text: fixed(v.recall) }),
          h("td", { text: fixed(v.f1) }), h("td", { text: String(v.support) }))))));
    } else replace(perClass.body, h("div", { class: "mmw-note", text: "not evaluated yet" }));

    const countRows = Object.entries(data.counts ?? {}).map(([name, value]) => ({ name, value, text: String(value) }));
    replace(counts.body, countRows.length ? barChart(countRows) : h("div", { class: "mmw-note", text: "no labels yet" }));

    const ablation = (data.ablation ?? []).map((r) => ({ name: r.masked === "none" ? "all columns" : `without ${r.masked}`, value: r.accuracy, cls: r.masked === "none" ? "mmw-base" : "" }));
    // importance = accuracy lost when the column is hidden from the serving model: what the
    // model uses (learned fusion weights need not be), measured on out-of-fold predictions
    const importance = Object.entries(data.importance ?? {}).sort((a, b) => b[1] - a[1]);
    const signed = (v) => `${v > 0 ? "+" : ""}${fixed(v, 2)}`;
    replace(modality.body,
      ablation.length > 1 ? [h("div", { class: "mmw-note", text: "cross-validated accuracy with each column masked out" }), barChart(ablation, { max: 1 })]
        : h("div", { class: "mmw-note", text: ablation.length ? "one column only: nothing to mask" : "not evaluated yet" }),
      importance.length > 1 ? h("div", { class: "mmw-note mmw-importance", "data-name": "importance",
        text: `importance (accuracy lost without the column): ${importance.map(([name, v]) => `${name} ${signed(v)}`).join(", ")}` }) : null);
    drawAgreement(data);
  }

  function table(cls, { head, rows }, empty) {
    if (!rows.length) return h("div", { class: "mmw-note", text: empty });
    return h("table", { class: cls },
      h("thead", {}, h("tr", {}, head.map((c) => h("th", { text: c })))),
      h("tbody", {}, rows.map((r) => h("tr", { "data-key": r.key }, r.cells.map((c) => h("td", { text: c }))))));
  }
  function drawAgreement(data) {
    const tables = agreementTables(data.agreement);
    agreement.el.hidden = !tables;
    if (!tables) return void replace(agreement.body);
    replace(agreement.body,
      h("div", { class: "mmw-agreement-summary" }, tables.summary.map((f) =>
        h("span", {}, `${f.caption} `, h("span", { class: "mmw-metric", "data-name": f.name, text: f.value }),
          f.note ? h("span", { class: "mmw-muted", "data-name": `${f.name}_note`, text: ` (${f.note})` }) : null))),
      h("div", { class: "mmw-note", text: "Cohen's κ per annotator pair" }),
      table("mmw-agreement-pairs", tables.pairs, "no two annotators labeled the same item yet"),
      h("div", { class: "mmw-note", text: "per class (gave this label or not)" }),
      table("mmw-agreement-classes", tables.perClass, "no classes"));
  }

  const onStatus = () => drawHead(model.get("data") ?? {});
  model.on("change:data", draw);
  model.on("change:status", onStatus);
  draw();

  return () => {
    model.off("change:data", draw);
    model.off("change:status", onStatus);
    rpc.dispose();
    root.remove();
  };
}

export default { render };

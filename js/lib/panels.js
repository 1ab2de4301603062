// The Labeler's side panels, rebuilt from traits and queue meta (small DOM, cheap to redo).
import { fixed, h, replace } from "./dom.js";

/** Model panel: prediction, confidence bar, attribution, why this item, model status. */
export function renderModel(el, meta, status) {
  const prediction = meta?.prediction;
  const predicted = Array.isArray(prediction) ? (prediction.length ? prediction.join(", ") : "none") : prediction;
  const confidence = Number.isFinite(meta?.confidence) ? meta.confidence : null;
  const attribution = Object.entries(meta?.attribution ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([column, share]) => `${column} ${fixed(share, 1)}`)
    .join(" · ");
  replace(
    el,
    h("div", { class: "mmw-panel-title", text: "Model" }),
    row("predicted", h("span", { class: "mmw-prediction", text: predicted ?? "no model yet" })),
    confidence === null
      ? null
      : row(
          "confidence",
          h("span", { class: "mmw-bar mmw-confidence" }, h("span", { class: "mmw-bar-fill", style: { width: `${Math.round(confidence * 100)}%` } })),
          h("span", { class: "mmw-number", text: fixed(confidence) }),
        ),
    attribution ? row("from", h("span", { class: "mmw-attribution", text: attribution })) : null,
    meta?.reason ? row("why this item", h("span", { class: "mmw-reason", text: meta.reason })) : null,
    h("div", { class: "mmw-status", text: statusText(status) }),
  );
}

/** "encoding 120/455 · model v3 · trained on 40 labels · CV accuracy 0.82 · training…" */
export function statusText(status) {
  if (!status) return "";
  const parts = [];
  const enc = status.encoding;
  // "complete" is false while an executor's shards still arrive, though the model trains
  if (enc && !(enc.complete ?? enc.ready)) parts.push(`encoding ${enc.done}/${enc.total}`);
  parts.push(status.model_version ? `model v${status.model_version}` : "no model yet");
  if (status.model_version) parts.push(`trained on ${status.trained_on} labels`);
  if (Number.isFinite(status.last_accuracy)) parts.push(`CV accuracy ${fixed(status.last_accuracy)}`);
  if (status.training) parts.push("training…");
  return parts.join(" · ");
}

/** Progress: labeled / total bar, count per class, labels per minute. */
export function renderProgress(el, progress, labels) {
  const labeled = progress?.labeled ?? 0;
  const total = progress?.total ?? 0;
  const perClass = progress?.per_class ?? {};
  replace(
    el,
    h("span", { class: "mmw-bar mmw-progress-bar" }, h("span", { class: "mmw-bar-fill", style: { width: total ? `${(100 * labeled) / total}%` : "0" } })),
    h("span", { class: "mmw-count", text: `${labeled} / ${total} labeled` }),
    progress?.skipped ? h("span", { class: "mmw-muted", text: `${progress.skipped} skipped` }) : null,
    h("span", { class: "mmw-rate", text: `${fixed(progress?.per_minute ?? 0, 1)} labels/min` }),
    h(
      "span",
      { class: "mmw-classes" },
      labels.map((label) => h("span", { class: "mmw-class-count", "data-label": label, text: `${label} ${perClass[label] ?? 0}` })),
    ),
  );
}

function row(name, ...value) {
  return h("div", { class: "mmw-row" }, h("span", { class: "mmw-key", text: name }), h("span", { class: "mmw-value" }, ...value));
}

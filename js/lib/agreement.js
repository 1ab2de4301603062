// The Dashboard's "Agreement" panel as plain rows of text (drawn by js/dashboard.js), from
// Session.agreement().as_dict() — NaN arrives as null (JSON has no NaN) and shows as "—".

export const MISSING = "—";

/** A figure with `digits` decimals, or "—" when it is null/NaN (undefined for these items). */
export function figure(x, digits = 2) {
  return typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : MISSING;
}

/** A count, or "—". */
function count(n) {
  return typeof n === "number" && Number.isFinite(n) ? String(n) : MISSING;
}

/**
 * agreementTables(agreement) -> null, or
 * {summary: [{name, caption, value}], pairs: {head, rows}, perClass: {head, rows}}
 * where every row is {key, cells: [text…]}.
 */
export function agreementTables(agreement) {
  if (!agreement) return null;
  const fleissItems = agreement.fleiss_items ?? 0;
  return {
    summary: [
      { name: "n_overlapped", caption: "overlapped items", value: count(agreement.n_overlapped) },
      { name: "fleiss_kappa", caption: "Fleiss' κ", value: figure(agreement.fleiss_kappa), note: `on ${fleissItems} item${fleissItems === 1 ? "" : "s"}` },
      { name: "alpha", caption: "Krippendorff's α", value: figure(agreement.alpha) },
    ],
    pairs: {
      head: ["annotator a", "annotator b", "items", "kappa"],
      rows: (agreement.pairs ?? []).map((p) => ({
        key: `${p.annotator_a}|${p.annotator_b}`,
        cells: [String(p.annotator_a), String(p.annotator_b), count(p.n_items), figure(p.kappa)],
      })),
    },
    perClass: {
      head: ["label", "items", "kappa", "alpha"],
      rows: (agreement.per_class ?? []).map((c) => ({
        key: String(c.label),
        cells: [String(c.label), count(c.n_items), figure(c.fleiss_kappa), figure(c.alpha)],
      })),
    },
  };
}

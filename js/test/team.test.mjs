// node --test js/test/ — what a team sees: the connection banner (js/lib/connection.js) and the
// Dashboard's agreement figures as text (js/lib/agreement.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { MISSING, agreementTables, figure } from "../lib/agreement.js";
import { connectionBanner, connectionText } from "../lib/connection.js";

/** Just enough of a DOM element for dom.js's h() (no children are passed here). */
function fakeDocument() {
  return {
    createElement(tag) {
      return {
        tag, attributes: {}, dataset: {}, hidden: false, textContent: "", className: "",
        setAttribute(name, value) { this.attributes[name] = value; },
        addEventListener() {},
        append() {},
      };
    },
  };
}

/** A widget model with one trait and anywidget's on/off. */
function fakeModel(values) {
  const listeners = new Map();
  return {
    get: (name) => values[name],
    set(name, value) {
      values[name] = value;
      for (const fn of listeners.get(`change:${name}`) ?? []) fn();
    },
    on(event, fn) { listeners.set(event, [...(listeners.get(event) ?? []), fn]); },
    off(event, fn) { listeners.set(event, (listeners.get(event) ?? []).filter((f) => f !== fn)); },
    count: (event) => (listeners.get(event) ?? []).length,
  };
}

test("the banner's words: one per trouble, none while connected", () => {
  assert.equal(connectionText("reconnecting"), "reconnecting to the label store…");
  assert.equal(connectionText("lost"), "label store unreachable: labels are not being saved");
  assert.equal(connectionText("connected"), "");
  assert.equal(connectionText("toString"), ""); // no inherited property leaks through
  assert.equal(connectionText(undefined), "");
});

test("the banner follows the trait, is a status, and stops listening when disposed", () => {
  globalThis.document = fakeDocument();
  try {
    const model = fakeModel({ connection: "connected" });
    const banner = connectionBanner(model);
    assert.equal(banner.el.attributes.role, "status");
    assert.equal(banner.el.hidden, true);
    model.set("connection", "reconnecting");
    assert.equal(banner.el.hidden, false);
    assert.equal(banner.el.textContent, "reconnecting to the label store…");
    assert.equal(banner.el.dataset.state, "reconnecting");
    model.set("connection", "lost");
    assert.equal(banner.el.textContent, "label store unreachable: labels are not being saved");
    model.set("connection", "connected");
    assert.equal(banner.el.hidden, true);
    assert.equal(model.count("change:connection"), 1);
    banner.dispose();
    assert.equal(model.count("change:connection"), 0);
    model.set("connection", "lost"); // a removed view no longer paints
    assert.equal(banner.el.hidden, true);
  } finally {
    delete globalThis.document;
  }
});

test("figures: NaN arrives as null and shows as a dash, like NaN and missing values", () => {
  assert.equal(figure(0.4), "0.40");
  assert.equal(figure(-0.3333, 3), "-0.333");
  assert.equal(figure(0), "0.00");
  for (const missing of [null, undefined, NaN, Infinity, "0.4"]) assert.equal(figure(missing), MISSING);
  assert.equal(MISSING, "—");
});

test("agreement tables: summary, pairs and per class as text; none without an agreement", () => {
  assert.equal(agreementTables(null), null);
  assert.equal(agreementTables(undefined), null);
  const tables = agreementTables({
    n_overlapped: 3,
    annotators: ["ana", "ben"],
    pairs: [{ annotator_a: "ana", annotator_b: "ben", n_items: 3, kappa: 0.4 }],
    fleiss_kappa: 0.375,
    fleiss_items: 1,
    alpha: null,
    per_class: [
      { label: "cat", n_items: 2, fleiss_kappa: 0.5, alpha: 0.25 },
      { label: "bird", n_items: 0, fleiss_kappa: null, alpha: null },
    ],
  });
  assert.deepEqual(tables.summary.map((f) => [f.name, f.value]), [
    ["n_overlapped", "3"], ["fleiss_kappa", "0.38"], ["alpha", "—"],
  ]);
  assert.equal(tables.summary[1].note, "on 1 item");
  assert.deepEqual(tables.pairs.head, ["annotator a", "annotator b", "items", "kappa"]);
  assert.deepEqual(tables.pairs.rows, [{ key: "ana|ben", cells: ["ana", "ben", "3", "0.40"] }]);
  assert.deepEqual(tables.perClass.head, ["label", "items", "kappa", "alpha"]);
  assert.deepEqual(tables.perClass.rows.map((r) => r.cells), [["cat", "2", "0.50", "0.25"], ["bird", "0", "—", "—"]]);
  const empty = agreementTables({ n_overlapped: 0, fleiss_items: 0, fleiss_kappa: null, alpha: null });
  assert.deepEqual([empty.pairs.rows, empty.perClass.rows, empty.summary[1].note], [[], [], "on 0 items"]);
});

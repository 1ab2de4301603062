// node --test js/test/ — the status line under every widget (js/lib/panels.js statusText).
import assert from "node:assert/strict";
import { test } from "node:test";

import { statusText } from "../lib/panels.js";

const base = { model_version: 3, trained_on: 40, last_accuracy: null, training: false };

test("encoding shows until every shard is in, even once the model trains on the first", () => {
  const partial = { ...base, encoding: { done: 120, total: 455, ready: true, complete: false } };
  assert.equal(statusText(partial), "encoding 120/455 · model v3 · trained on 40 labels");
  const complete = { ...base, encoding: { done: 455, total: 455, ready: true, complete: true } };
  assert.equal(statusText(complete), "model v3 · trained on 40 labels");
});

test("a status without 'complete' (older sessions) still follows 'ready'", () => {
  const waiting = { ...base, model_version: 0, encoding: { done: 1, total: 9, ready: false } };
  assert.equal(statusText(waiting), "encoding 1/9 · no model yet");
});

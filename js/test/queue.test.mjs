// node --test js/test/ — the Labeler's prefetch queue (js/lib/queue.js) against a scripted rpc:
// replies arrive in whatever order a test says, as they may from a busy kernel.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HISTORY, ITEMS, LABEL, SKIP, SYNC, UNDO } from "../lib/protocol.js";
import { LabelQueue } from "../lib/queue.js";

/** An rpc whose requests wait until the test answers them (reply/fail), in any order. */
function scriptedRpc() {
  const sent = [];
  return {
    sent,
    request(kind, args) {
      return new Promise((resolve, reject) => sent.push({ kind, args, resolve, reject }));
    },
    reply(i, result, buffers = []) {
      sent[i].resolve({ result, buffers });
      return settle();
    },
    fail(i, message) {
      sent[i].reject(new Error(message));
      return settle();
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0)); // let promise chains run
const item = (id) => ({ id, text: [{ column: "t", state: "ok", value: `text of ${id}` }], image: [], audio: [] });
const ranked = (...ids) => ids.map((id) => ({ id, prediction: "cat", reason: "uncertain" }));

function newQueue(depth = 3) {
  const queue = new LabelQueue(depth);
  queue.rpc = scriptedRpc();
  return queue;
}

/** A queue that shows `ids[0]` with the rest queued behind it. */
async function started(ids, depth = 3) {
  const queue = newQueue(depth);
  queue.sync();
  await queue.rpc.reply(0, { queue: ranked(...ids), items: ids.map(item) });
  return queue;
}

test("SYNC asks with what the front end holds and its depth, then shows the best item", async () => {
  const queue = newQueue(2);
  assert.equal(queue.loading, true);
  queue.sync();
  assert.deepEqual(queue.rpc.sent.map((r) => [r.kind, r.args]), [[SYNC, { have: [], depth: 2 }]]);
  await queue.rpc.reply(0, { queue: ranked("a", "b"), items: [item("a"), item("b")] });
  assert.equal(queue.loading, false);
  assert.equal(queue.shown.id, "a");
  assert.equal(queue.shown.meta.reason, "uncertain");
  assert.deepEqual(queue.upcoming(5).map((e) => e.id), ["b"]);
  queue.sync();
  assert.deepEqual(queue.rpc.sent[1].args.have, ["a", "b"]); // held items are not sent again
});

test("syncs are coalesced: one in flight, one more at most", async () => {
  const queue = newQueue();
  queue.sync();
  queue.sync();
  queue.sync();
  assert.equal(queue.rpc.sent.length, 1);
  await queue.rpc.reply(0, { queue: [] });
  assert.equal(queue.rpc.sent.length, 2);
  await queue.rpc.reply(1, { queue: [] });
  assert.equal(queue.rpc.sent.length, 2);
});

test("a label shows the next item at once and is sent behind it", async () => {
  const queue = await started(["a", "b", "c"]);
  const acks = [];
  queue.subscribe((event) => event.type === "ack" && acks.push(event));
  const stored = queue.label("cat");
  assert.equal(queue.shown.id, "b"); // before any reply
  const request = queue.rpc.sent[1];
  assert.equal(request.kind, LABEL);
  assert.deepEqual(request.args, { item: "a", label: "cat", have: ["a", "b", "c"], depth: 3 });
  await queue.rpc.reply(1, { queue: ranked("b", "c") });
  await stored;
  assert.deepEqual(acks, [{ type: "ack", kind: LABEL, id: "a" }]);
  assert.equal(queue.shown.id, "b");
});

test("replies are applied in the order their requests were sent, whatever order they arrive in", async () => {
  const queue = await started(["a", "b", "c", "d"]);
  queue.label("cat"); // request 1: its order is the older one
  queue.skip(); // request 2
  assert.deepEqual(queue.rpc.sent.slice(1).map((r) => r.kind), [LABEL, SKIP]);
  assert.equal(queue.shown.id, "c");
  await queue.rpc.reply(2, { queue: ranked("d", "c"), items: [] }); // the newer order first
  assert.deepEqual(queue.order, ["d", "c"]);
  await queue.rpc.reply(1, { queue: ranked("b", "c", "d"), items: [item("e")] }); // stale order
  assert.deepEqual(queue.order, ["d", "c"]); // not rolled back
  assert.ok(queue.entries.has("e")); // its items are kept all the same
  assert.equal(queue.shown.id, "c"); // pinned: a rerank does not swap the item on screen
  assert.equal(queue.applied, 3); // the initial SYNC, the label, the skip
});

test("a rerank never swaps the item on screen, and the next is the best ready one", async () => {
  const queue = await started(["a", "b", "c"]);
  queue.sync();
  await queue.rpc.reply(1, { queue: ranked("c", "b", "a") });
  assert.equal(queue.shown.id, "a");
  queue.skip();
  assert.equal(queue.shown.id, "c");
});

test("pushed ITEMS refill the prefetch queue; stand-ins wait while the ranked items are missing", async () => {
  const queue = await started(["a", "b", "c"], 2);
  // the model retrained: a new ranking whose items the front end lacks (Python pushes them)
  queue.sync();
  await queue.rpc.reply(1, { queue: ranked("a", "x", "y", "z") });
  // stand-ins from the old ranking, ready now; only as many as fill the depth are kept
  assert.deepEqual(queue.upcoming(2).map((e) => e.id), ["b"]);
  assert.equal(queue.entries.has("c"), false);
  queue.receive({ kind: ITEMS, items: [item("x"), item("y")] }, []);
  await settle();
  assert.deepEqual(queue.upcoming(2).map((e) => e.id), ["x", "y"]);
  queue.receive({ kind: "something else", items: [item("q")] }, []);
  assert.equal(queue.entries.has("q"), false);
  // the next reply evicts what is neither ranked near the top nor on screen
  queue.sync();
  await queue.rpc.reply(2, { queue: ranked("a", "x", "y", "z"), items: [item("z")] });
  assert.deepEqual([...queue.entries.keys()].sort(), ["a", "x", "y", "z"]);
});

test("items pushed before the reply that ranks them are kept, and shown when it comes", async () => {
  const queue = newQueue();
  queue.sync();
  queue.receive({ kind: ITEMS, items: [item("p"), item("q")] }, []);
  await settle();
  assert.equal(queue.shown, null); // not ranked yet
  await queue.rpc.reply(0, { queue: ranked("q", "p") }); // no items: the front end has them
  assert.equal(queue.shown.id, "q");
  assert.deepEqual(queue.upcoming(3).map((e) => e.id), ["p"]);
});

test("a label the kernel refuses puts the item back on screen with the error", async () => {
  const queue = await started(["a", "b"]);
  queue.label("cow");
  assert.equal(queue.shown.id, "b");
  await queue.rpc.fail(1, "unknown label 'cow'");
  assert.equal(queue.shown.id, "a");
  assert.equal(queue.error, "unknown label 'cow'");
  assert.equal(queue.done.has("a"), false);
  queue.dismissError();
  assert.equal(queue.error, "");
});

test("undo shows the undone item again with its label", async () => {
  const queue = await started(["a", "b", "c"]);
  queue.label("cat");
  await queue.rpc.reply(1, { queue: ranked("b", "c") });
  queue.undo();
  assert.equal(queue.rpc.sent[2].kind, UNDO);
  assert.equal(queue.loading, true);
  assert.equal(queue.entries.has("a"), false); // evicted once labeled: the reply brings it back
  await queue.rpc.reply(2, { queue: ranked("a", "b", "c"), items: [item("a")], undone: { id: "a", label: "cat" } });
  assert.equal(queue.shown.id, "a");
  assert.equal(queue.shown.label, "cat");
  assert.equal(queue.loading, false);
});

test("after an undone item is labeled again, the item the undo displaced comes back", async () => {
  const queue = await started(["a", "b", "c", "d"]);
  queue.label("cat"); // a done, b on screen
  await queue.rpc.reply(1, { queue: ranked("b", "c", "d") });
  queue.undo(); // a back on screen, b displaced
  // meanwhile a new model reranked: b is no longer first
  await queue.rpc.reply(2, { queue: ranked("a", "d", "c", "b"), items: [item("a")], undone: { id: "a", label: "cat" } });
  assert.equal(queue.shown.id, "a");
  queue.label("dog");
  assert.equal(queue.shown.id, "b"); // not "d", the new first
  await queue.rpc.reply(3, { queue: ranked("d", "c", "b") });
  assert.equal(queue.shown.id, "b"); // a rerank never swaps what is on screen
  queue.label("cat");
  assert.equal(queue.shown.id, "d"); // then the ranking again
});

test("the history walks back and returns to the queue past its end", async () => {
  const queue = await started(["a", "b"]);
  assert.equal(queue.step(+1), null); // nothing ahead of the queue
  queue.step(-1);
  assert.deepEqual(queue.rpc.sent[1].args, { item: null, step: -1 });
  assert.equal(queue.rpc.sent[1].kind, HISTORY);
  await queue.rpc.reply(1, { item: { ...item("old"), label: "dog" }, index: 0, total: 1 });
  assert.equal(queue.shown.id, "old");
  assert.equal(queue.shown.label, "dog");
  queue.step(+1);
  await queue.rpc.reply(2, { item: null });
  assert.equal(queue.history, null);
  assert.equal(queue.shown.id, "a");
});

test("dispose drops the listeners and the entries", async () => {
  const queue = await started(["a", "b"]);
  let calls = 0;
  queue.subscribe(() => calls++);
  queue.dispose();
  queue.emit();
  assert.equal(calls, 0);
  assert.equal(queue.entries.size, 0);
});

// The Labeler's prefetch queue, shared by all views of one widget model.
//
// Python's ranked queue arrives as an order of ids plus media for the items we lack; entries
// hold those media already decoded (media.js). A key press marks the shown item done, shows the
// next entry at once and sends the label behind it; each reply brings the new order (Python
// refills the queue and reranks it when the model changes). The item on screen stays pinned
// while the order changes under it, so a rerank never swaps what the user is looking at; and
// until the newly ranked items are ready, the ones already decoded stand in for them, so a
// rerank never makes the user wait either.
import { releaseEntry, prepareEntry } from "./media.js";
import { HISTORY, ITEMS, LABEL, SIMILAR, SKIP, SYNC, UNDO } from "./protocol.js";

export class LabelQueue {
  constructor(depth) {
    this.rpc = null; // set by the owner once its rpc exists (the rpc routes pushes here)
    this.depth = depth;
    this.entries = new Map(); // id -> entry (queued items, the one on screen)
    this.order = []; // Python's latest ranking
    this.previous = []; // earlier rankings' items, ready stand-ins while the new ones load
    this.meta = new Map(); // id -> queue meta (prediction, reason, ...)
    this.done = new Set(); // labeled or skipped here (their replies may still be on the way)
    this.current = null; // id on screen in queue mode
    this.resume = null; // the item an undo took off screen: shown again once the undone one is done
    this.history = null; // {entry, index, total} while walking back through the history
    this.error = "";
    this.loading = true;
    this.listeners = new Set();
    this.sent = 0; // sequence number of requests that return an order
    this.applied = 0;
    this.syncing = null;
    this.again = false;
  }

  /** The entry on screen (history or queue), or null. */
  get shown() {
    return this.history ? this.history.entry : (this.entries.get(this.current) ?? null);
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event = { type: "change" }) {
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Ask for the order now (coalesced: one request in flight, one more queued at most). */
  sync() {
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = this.call(SYNC, {})
      .catch((err) => this.fail(err))
      .finally(() => {
        this.syncing = null;
        if (!this.again) return;
        this.again = false;
        this.sync();
      });
  }

  /** Label the item on screen; resolves when Python has stored it. */
  label(value) {
    const entry = this.shown;
    if (!entry || this.loading) return null;
    if (this.history) return this.relabel(entry, value);
    return this.finish(entry.id, LABEL, { label: value });
  }

  skip() {
    const entry = this.shown;
    if (!entry || this.loading) return null;
    if (this.history) return this.step(+1);
    return this.finish(entry.id, SKIP, {});
  }

  /** "More like this": the items most like the one on screen come next (it stays shown). */
  moreLikeThis() {
    const entry = this.shown;
    if (!entry || this.loading || this.history) return null;
    return this.call(SIMILAR, { item: entry.id }).catch((err) => this.fail(err));
  }

  undo() {
    this.leaveHistory();
    this.loading = true;
    this.emit();
    return this.call(UNDO, {})
      .then((result) => {
        if (result.undone) {
          const { id, label } = result.undone;
          this.done.delete(id);
          const entry = this.entries.get(id);
          if (entry) entry.label = label;
          if (this.current !== id) this.resume = this.current;
          this.current = id;
        }
        this.loading = false;
        this.emit();
        this.emit({ type: "ack", kind: UNDO, id: result.undone?.id ?? null });
      })
      .catch((err) => this.fail(err));
  }

  /** Walk the history: -1 back, +1 forward (past the end returns to the queue). */
  step(direction) {
    const from = this.history ? this.history.entry.id : null;
    if ((!from && direction > 0) || this.loading) return null;
    this.loading = true;
    this.emit();
    return this.rpc
      .request(HISTORY, { item: from, step: direction })
      .then(({ result, buffers }) => {
        const previous = this.history?.entry;
        if (result.item) {
          const entry = this.entries.get(result.item.id) ?? prepareEntry(result.item, buffers);
          entry.label = result.item.label ?? null;
          this.history = { entry, index: result.index, total: result.total };
        } else {
          this.history = null;
        }
        this.release(previous);
        this.loading = false;
        this.emit();
      })
      .catch((err) => this.fail(err));
  }

  leaveHistory() {
    const previous = this.history?.entry;
    this.history = null;
    this.release(previous);
  }

  /** Free a history entry that the queue does not hold (and that is not on screen). */
  release(entry) {
    if (entry && entry !== this.history?.entry && !this.entries.has(entry.id)) releaseEntry(entry);
  }

  finish(id, kind, args) {
    this.done.add(id);
    // back to the item the undo displaced, even if a rerank has since moved it down
    const back = this.resume;
    this.resume = null;
    this.current = back && !this.done.has(back) && this.entries.has(back) ? back : this.next();
    this.emit();
    return this.call(kind, { item: id, ...args }).then(
      () => this.emit({ type: "ack", kind, id }),
      (err) => {
        this.done.delete(id); // not stored: show it again with the error
        this.current = id;
        this.fail(err);
      },
    );
  }

  relabel(entry, value) {
    entry.label = value;
    this.emit();
    const stored = this.call(LABEL, { item: entry.id, label: value }).then(
      () => this.emit({ type: "ack", kind: LABEL, id: entry.id }),
      (err) => this.fail(err),
    );
    this.step(+1);
    return stored;
  }

  /** The next `n` ready entries after the one on screen, in order (views build them ahead). */
  upcoming(n) {
    return this.candidates()
      .filter((id) => this.entries.get(id).settled)
      .slice(0, n)
      .map((id) => this.entries.get(id));
  }

  /** What can come next, best first: ready ranked items, ready stand-ins, then the rest. */
  candidates() {
    const open = (id) => !this.done.has(id) && id !== this.current && this.entries.has(id);
    const ranked = this.order.filter(open);
    const ready = ranked.filter((id) => this.entries.get(id).settled);
    const standIns = this.previous.filter((id) => open(id) && this.entries.get(id).settled && !ranked.includes(id));
    return [...ready, ...standIns, ...ranked.filter((id) => !ready.includes(id))];
  }

  next() {
    return this.candidates()[0] ?? null;
  }

  /** A request whose reply carries the order; applied in the order the requests were sent. */
  call(kind, args) {
    const seq = ++this.sent;
    const request = this.rpc.request(kind, { ...args, have: [...this.entries.keys()], depth: this.depth });
    return request.then(({ result, buffers }) => {
      this.apply(seq, result, buffers);
      return result;
    });
  }

  /** Python's unasked messages: payloads it packed ahead of need. */
  receive(msg, buffers) {
    if (msg.kind !== ITEMS) return;
    this.add(msg.items, buffers); // not evicted here: the reply naming them may be on its way
    if (this.current === null || this.done.has(this.current)) this.current = this.next();
    this.emit();
  }

  add(payloads, buffers) {
    for (const payload of payloads ?? []) {
      if (this.entries.has(payload.id)) continue;
      const entry = prepareEntry(payload, buffers);
      this.entries.set(payload.id, entry);
      entry.ready.then(() => this.entries.get(entry.id) === entry && this.emit());
    }
  }

  apply(seq, result, buffers) {
    this.add(result.items, buffers);
    if (seq < this.applied) return; // an older order than one already applied
    this.applied = seq;
    const order = (result.queue ?? []).map((meta) => meta.id);
    this.previous = [...this.order, ...this.previous].filter((id, i, all) => !order.includes(id) && !this.done.has(id) && all.indexOf(id) === i);
    this.order = order;
    for (const meta of result.queue ?? []) this.meta.set(meta.id, meta);
    for (const [id, entry] of this.entries) entry.meta = this.meta.get(id) ?? entry.meta;
    if (this.current === null || this.done.has(this.current)) this.current = this.next();
    this.loading = false;
    this.evict(result.undone?.id); // an undone item is shown next, ranked or not
    this.error = this.error.startsWith("no answer") ? "" : this.error;
    this.emit();
    // ids we lack arrive by push (Python packs them on its worker)
  }

  evict(also = null) {
    if (!this.order.length) return; // no order yet: keep what was pushed
    const keep = new Set(this.order.slice(0, this.depth + 2));
    keep.add(also);
    // stand-ins stay while the ranked items are not all ready yet
    const ready = this.order.filter((id) => this.entries.get(id)?.settled && !this.done.has(id)).length;
    if (ready < this.depth) this.previous.slice(0, this.depth - ready).forEach((id) => keep.add(id));
    this.previous = this.previous.filter((id) => keep.has(id));
    keep.add(this.current);
    keep.add(this.resume);
    if (this.history) keep.add(this.history.entry.id);
    for (const [id, entry] of this.entries) {
      if (keep.has(id)) continue;
      this.entries.delete(id);
      releaseEntry(entry);
    }
  }

  fail(err) {
    this.loading = false;
    this.error = err?.message ?? String(err);
    this.emit();
  }

  dismissError() {
    this.error = "";
    this.emit();
  }

  dispose() {
    this.listeners.clear();
    for (const entry of this.entries.values()) releaseEntry(entry);
    if (this.history && !this.entries.has(this.history.entry.id)) releaseEntry(this.history.entry);
    this.entries.clear();
  }
}

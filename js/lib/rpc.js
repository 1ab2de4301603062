// Request/reply over the widget's custom messages: {kind, id, ...args} answered by
// {kind: REPLY, id, result} or {kind: REPLY, id, error} (see protocol.js). Replies reach every
// front end of the model, so each keeps only the ids it sent.
import { REPLY } from "./protocol.js";

export class RequestError extends Error {
  constructor(message, kind) {
    super(message);
    this.name = "RequestError";
    this.kind = kind;
  }
}

/**
 * const rpc = createRpc(model, {onPush}); const {result, buffers} = await rpc.request("sync", {});
 * rpc.request(kind, args, [int32Array]) sends binary parts along (Python: args["_buffers"]).
 * Messages that are not replies (Python's unasked pushes) go to onPush(msg, buffers).
 * rpc.dispose() stops listening; what is pending then never settles (its widget is gone, and a
 * rejection nobody handles any more would only be console noise).
 */
export function createRpc(model, { timeout = 60_000, onPush = null } = {}) {
  const prefix = Math.random().toString(36).slice(2, 8);
  const pending = new Map();
  let counter = 0;

  function onMessage(msg, buffers) {
    if (!msg) return;
    if (msg.kind !== REPLY) return void onPush?.(msg, buffers ?? []);
    const entry = pending.get(msg.id);
    if (!entry) return; // another front end's request, or one that timed out
    pending.delete(msg.id);
    clearTimeout(entry.timer);
    if (msg.error != null) entry.reject(new RequestError(String(msg.error), entry.kind));
    else entry.resolve({ result: msg.result ?? {}, buffers: buffers ?? [] });
  }
  model.on("msg:custom", onMessage);

  return {
    request(kind, args = {}, buffers = undefined) {
      const id = `${prefix}-${++counter}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new RequestError(`no answer from the kernel to "${kind}" within ${timeout / 1000} s — is it busy or stopped?`, kind));
        }, timeout);
        pending.set(id, { resolve, reject, timer, kind });
        model.send({ kind, id, ...args }, undefined, buffers);
      });
    },
    get pending() {
      return pending.size;
    },
    dispose() {
      model.off("msg:custom", onMessage);
      for (const entry of pending.values()) clearTimeout(entry.timer);
      pending.clear();
    },
  };
}

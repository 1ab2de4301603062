// The ItemView front end (mmwidgets/widgets/item_view.py): one item, fetched whenever item_id
// changes; a stale answer (the id changed again meanwhile) is dropped.
import { createCard } from "./lib/card.js";
import { h, replace } from "./lib/dom.js";
import { prepareEntry, releaseEntry } from "./lib/media.js";
import { ITEM } from "./lib/protocol.js";
import { createRpc } from "./lib/rpc.js";
import { injectStyle } from "./lib/style.js";
import { createZoom } from "./lib/zoom.js";

function render({ model, el }) {
  const rpc = createRpc(model);
  injectStyle(el);
  const error = h("div", { class: "mmw-error", role: "alert", hidden: true });
  const badge = h("div", { class: "mmw-badge" });
  const stage = h("div", { class: "mmw-stage" }, h("div", { class: "mmw-empty", text: "loading…" }));
  const root = h("div", { class: "mmw mmw-item-view" }, error, badge, stage);
  el.append(root);
  const zoom = createZoom(root, rpc, () => entry?.id);

  let entry = null;
  let card = null;
  let asked = 0;

  function load() {
    const mine = ++asked;
    rpc
      .request(ITEM, { item: model.get("item_id") })
      .then(({ result, buffers }) => prepareEntry(result.item, buffers).ready)
      .then((next) => {
        if (mine !== asked) return releaseEntry(next);
        card?.dispose();
        if (entry) releaseEntry(entry);
        entry = next;
        card = createCard(entry, { onZoom: zoom.open });
        replace(stage, card.el);
        const label = entry.label;
        badge.textContent = `${entry.id}${label == null ? "" : ` · labeled ${Array.isArray(label) ? label.join(", ") || "none" : label}`}`;
        error.hidden = true;
        const shown = entry.id;
        card.whenShown(() => mine === asked && (root.dataset.shown = shown));
      })
      .catch((err) => {
        if (mine !== asked) return;
        error.textContent = err?.message ?? String(err);
        error.hidden = false;
      });
  }

  model.on("change:item_id", load);
  load();
  return () => {
    model.off("change:item_id", load);
    rpc.dispose();
    zoom.close();
    card?.dispose();
    if (entry) releaseEntry(entry);
    root.remove();
  };
}

export default { render };

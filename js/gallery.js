// The Gallery front end (mmwidgets/widgets/gallery.py): a page of queued items, each tile
// pre-filled with the model's suggestion; select tiles, assign labels, save them as one batch.
// In "adjudicate" mode the tiles are disputed items showing who said what, and saving settles
// them (Python writes adjudications). The search box (/ focuses it) and "m" (more like the tile
// under the cursor) turn the pages into search results, each tile saying why it matched.
import { connectionBanner } from "./lib/connection.js";
import { h, replace } from "./lib/dom.js";
import { bindKeys, keyCaption, labelIndex } from "./lib/keys.js";
import { statusText } from "./lib/panels.js";
import { LABEL_MANY, PAGE, SEARCH, SIMILAR } from "./lib/protocol.js";
import { prepareEntry, releaseEntry } from "./lib/media.js";
import { createRpc } from "./lib/rpc.js";
import { injectStyle } from "./lib/style.js";
import { createTile } from "./lib/tile.js";

function render({ model, el }) {
  const rpc = createRpc(model);
  const labels = model.get("labels");
  const shortcuts = model.get("shortcuts");
  const multi = model.get("multi_label");
  const mode = model.get("mode");
  const adjudicating = mode === "adjudicate";
  const verb = adjudicating ? "adjudicate" : "save";
  injectStyle(el);

  const error = h("div", { class: "mmw-error", role: "alert", hidden: true });
  const info = h("span", { class: "mmw-muted" });
  const grid = h("div", { class: "mmw-grid" }, h("div", { class: "mmw-empty", text: "loading…" }));
  const button = (cls, text, key, onclick) =>
    h("button", { class: cls, type: "button", tabindex: "-1", onclick: () => (onclick(), root.focus({ preventScroll: true })) }, key ? h("kbd", { text: keyCaption(key) }) : null, text);
  const save = button("mmw-save", verb, "Enter", () => saveAll());
  const connection = connectionBanner(model);
  const search = h("input", { class: "mmw-search", type: "search", placeholder: "search…  (/)", "aria-label": "search the pool" });
  search.value = model.get("query").startsWith("like ") ? "" : model.get("query");
  search.addEventListener("keydown", (event) => {
    event.stopPropagation(); // typing here is text, never a shortcut of the notebook
    if (event.key === "Enter") find(SEARCH, { query: search.value });
    else if (event.key === "Escape") root.focus({ preventScroll: true });
  });
  const root = h("div", { class: `mmw mmw-gallery mmw-${mode}` },
    connection.el, error,
    h("div", { class: "mmw-actions" },
      search,
      button("mmw-similar", "more like this", "m", () => moreLikeThis()),
      button("mmw-accept", "accept suggestions", "y", () => acceptSuggestions()),
      save,
      button("mmw-select-all", "select all", null, () => selectRange(0, tiles.length - 1)),
      button("mmw-refresh", "new page", null, () => load()),
      info, h("span", { class: "mmw-hint" })),
    h("div", { class: "mmw-labels" }, labels.map((label, i) => button("mmw-label", label, shortcuts[i], () => assign(label)))),
    grid,
  );
  root.querySelectorAll(".mmw-label").forEach((b, i) => (b.dataset.label = labels[i]));
  el.append(root);

  const emptyText = { review: "Nothing left to review.", adjudicate: "Nothing left to adjudicate." };
  let tiles = [];
  let cursor = 0;
  let anchor = 0;
  let asked = 0;

  function load() {
    const mine = ++asked;
    return rpc
      .request(PAGE, { n: model.get("n") })
      .then(({ result, buffers }) => Promise.all(result.items.map((p) => prepareEntry(p, buffers, { audio: "lazy" }).ready)))
      .then((entries) => {
        if (mine !== asked) return entries.forEach(releaseEntry);
        tiles.forEach((tile) => tile.dispose());
        tiles = entries.map((entry, i) => createTile(entry, { multi, showReason: adjudicating || Boolean(model.get("query")), onClick: (event) => click(i, event), onPlay: pauseAll }));
        cursor = anchor = 0;
        replace(grid, tiles.length ? tiles.map((t) => t.el) : h("div", { class: "mmw-empty", text: emptyText[mode] ?? "Nothing left to label." }));
        paint();
        root.dataset.page = String(mine);
      })
      .catch(showError);
  }

  function click(i, event) {
    if (event.shiftKey) selectRange(anchor, i, event.ctrlKey || event.metaKey);
    else if (event.ctrlKey || event.metaKey) tiles[i].selected = !tiles[i].selected;
    else selectRange(i, i);
    cursor = i;
    if (!event.shiftKey) anchor = i;
    paint();
    root.focus({ preventScroll: true });
  }
  function selectRange(a, b, keep = false) {
    const [lo, hi] = a < b ? [a, b] : [b, a];
    tiles.forEach((tile, i) => (tile.selected = (keep && tile.selected) || (i >= lo && i <= hi)));
    paint();
  }
  const chosen = () => {
    const picked = tiles.filter((t) => t.selected);
    return picked.length ? picked : tiles.slice(cursor, cursor + 1);
  };

  function assign(label) {
    const targets = chosen();
    if (!multi) targets.forEach((t) => (t.assigned = label));
    else {
      const all = targets.every((t) => (t.assigned ?? []).includes(label));
      targets.forEach((t) => {
        const now = new Set(t.assigned ?? []);
        all ? now.delete(label) : now.add(label);
        t.assigned = labels.filter((l) => now.has(l));
      });
    }
    paint();
  }
  function find(kind, args) {
    return rpc
      .request(kind, args)
      .then(() => {
        error.hidden = true;
        cursor = anchor = 0;
        return load();
      })
      .then(() => root.focus({ preventScroll: true }))
      .catch(showError);
  }
  function moreLikeThis() {
    const tile = tiles[cursor];
    if (!tile) return showError(new Error("no tile to find more like: the page is empty"));
    search.value = "";
    find(SIMILAR, { item: tile.entry.id });
  }
  function acceptSuggestions() {
    tiles.forEach((t) => t.assigned == null && t.suggestion != null && (t.assigned = t.suggestion));
    paint();
  }
  function saveAll() {
    const batch = Object.fromEntries(tiles.filter((t) => t.assigned != null).map((t) => [t.entry.id, t.assigned]));
    const n = Object.keys(batch).length;
    if (!n) return showError(new Error(`nothing to ${verb}: assign labels first (or accept the suggestions)`));
    save.disabled = true;
    rpc
      .request(LABEL_MANY, { labels: batch })
      .then(() => {
        root.dispatchEvent(new CustomEvent("mmw-saved", { bubbles: true, detail: { n } }));
        error.hidden = true;
        return load();
      })
      .catch(showError)
      .finally(() => (save.disabled = false));
  }
  function pauseAll(except) {
    tiles.forEach((t) => t !== except && t.pause());
  }

  function move(delta, extend) {
    if (!tiles.length) return;
    cursor = Math.min(tiles.length - 1, Math.max(0, cursor + delta));
    if (!extend) anchor = cursor;
    selectRange(anchor, cursor); // like a file manager: arrows select, shift+arrows extend
    tiles[cursor].el.scrollIntoView({ block: "nearest" });
  }
  const perRow = () => {
    const top = tiles[0]?.el.offsetTop;
    const n = tiles.filter((t) => t.el.offsetTop === top).length;
    return Math.max(1, n);
  };

  function paint() {
    tiles.forEach((tile, i) => tile.paint(i === cursor));
    const assigned = tiles.filter((t) => t.assigned != null).length;
    save.lastChild.textContent = `${verb} ${assigned}`;
    const now = model.get("mode");
    const query = model.get("query");
    const what = query ? `${query.startsWith("like ") ? query : `results for “${query}”`}: ` : "";
    const review = now === "queue" ? "" : `${what}${model.get("remaining")} to ${now === "adjudicate" ? "adjudicate" : "review"} · `;
    info.textContent = `${review}${tiles.filter((t) => t.selected).length} selected · ${statusText(model.get("status"))}`;
  }
  function showError(err) {
    error.textContent = err?.message ?? String(err);
    error.hidden = false;
  }

  const unbindKeys = bindKeys(root, (key, event) => {
    if (event.repeat && !key.startsWith("Arrow")) return true; // a held key acts once
    const i = labelIndex(shortcuts, key);
    if (i >= 0) return assign(labels[i]), true;
    switch (key) {
      case "ArrowLeft": return move(-1, event.shiftKey), true;
      case "ArrowRight": return move(+1, event.shiftKey), true;
      case "ArrowUp": return move(-perRow(), event.shiftKey), true;
      case "ArrowDown": return move(+perRow(), event.shiftKey), true;
      case "Space": return tiles[cursor] && ((tiles[cursor].selected = !tiles[cursor].selected), paint()), true;
      case "Backspace": case "Delete": return chosen().forEach((t) => (t.assigned = null)), paint(), true;
      case "y": return acceptSuggestions(), true; // "yes": s skips in the Labeler, one meaning per key
      case "m": return moreLikeThis(), true;
      case "/": return search.focus(), true;
      case "Enter": return saveAll(), true;
      default: return false;
    }
  });
  const onStatus = () => paint();
  model.on("change:status", onStatus);
  load();

  return () => {
    unbindKeys();
    model.off("change:status", onStatus);
    connection.dispose();
    rpc.dispose();
    tiles.forEach((tile) => tile.dispose());
    root.remove();
  };
}

export default { render };

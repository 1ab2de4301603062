// A gallery tile: thumbnail, text snippet, a small play button per audio column, and a chip
// with the label it will be saved with (assigned) or the model's suggestion (dashed).
import { clock, fixed, h } from "./dom.js";
import { releaseEntry } from "./media.js";

// showReason puts the reason on the tile in words (an adjudication's "ana: food · ben: …"),
// not only in its tooltip.
export function createTile(entry, { multi, showReason = false, onClick, onPlay }) {
  const meta = entry.meta ?? {};
  const suggestion = meta.prediction ?? null;
  const image = entry.images.find((s) => s.state === "ok");
  const text = entry.text.find((s) => s.state === "ok");
  const chip = h("span", { class: "mmw-chip" });
  const players = [];

  const audio = entry.audios.map((slot) => {
    if (slot.state !== "ok") return null; // a tile stays quiet about what an item lacks
    const button = h("button", { class: "mmw-mini-play", type: "button", tabindex: "-1", "data-column": slot.column, text: `▶ ${slot.column} ${clock(slot.duration)}` });
    const player = { slot, el: null, button };
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      if (!player.el) {
        player.el = new Audio(slot.url);
        player.el.addEventListener("play", () => (button.textContent = `⏸ ${slot.column}`));
        const idle = () => (button.textContent = `▶ ${slot.column} ${clock(slot.duration)}`);
        player.el.addEventListener("pause", idle);
        player.el.addEventListener("ended", idle);
      }
      if (player.el.paused) {
        onPlay(tile);
        player.el.play().catch(() => {});
      } else player.el.pause();
    });
    players.push(player);
    return button;
  });

  const el = h(
    "div",
    { class: "mmw-tile", "data-item": entry.id, title: meta.reason ?? "" },
    h("div", { class: "mmw-frame" }, image ? Object.assign(image.img, { className: "mmw-img" }) : noImage(entry)),
    text ? h("div", { class: "mmw-snippet", text: text.value }) : null,
    showReason && meta.reason ? h("div", { class: "mmw-tile-reason", text: meta.reason }) : null,
    audio.some(Boolean) ? h("div", { class: "mmw-tile-audio" }, audio) : null,
    chip,
  );
  el.addEventListener("click", onClick);

  const tile = {
    el,
    entry,
    suggestion,
    assigned: meta.label ?? null, // a reviewed item starts with its stored label: save confirms it
    selected: false,
    paint(isCursor) {
      el.classList.toggle("mmw-selected", tile.selected);
      el.classList.toggle("mmw-cursor", isCursor);
      const shown = tile.assigned ?? suggestion;
      const words = Array.isArray(shown) ? shown.join(", ") || "none" : shown;
      chip.className = `mmw-chip${tile.assigned != null ? " mmw-assigned" : shown == null ? " mmw-none" : ""}`;
      chip.textContent =
        tile.assigned != null ? words : shown == null ? "no suggestion" : `${words}?${Number.isFinite(meta.confidence) ? ` ${fixed(meta.confidence)}` : ""}`;
      el.dataset.assigned = tile.assigned == null ? "" : JSON.stringify(tile.assigned);
    },
    pause() {
      players.forEach((p) => p.el?.pause());
    },
    dispose() {
      players.forEach((p) => {
        if (!p.el) return;
        p.el.pause();
        p.el.removeAttribute("src");
        p.el.load();
      });
      releaseEntry(entry);
    },
  };
  return tile;
}

function noImage(entry) {
  const broken = entry.images.find((s) => s.state === "error");
  if (broken) return h("span", { class: "mmw-media-error", title: broken.error, text: "image problem" });
  return h("span", { class: "mmw-placeholder", text: entry.images.length ? "no image" : "" });
}

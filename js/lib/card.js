// An item card: text, image and audio side by side, each column labeled; a missing modality is
// a quiet placeholder, a broken one an error in words. Shared by the Labeler and the ItemView.
import { h } from "./dom.js";
import { createPlayer } from "./player.js";

/**
 * card = {el, players, toggleAudio(), shown(), dispose()} for a settled entry (media.js).
 * onZoom(slot, img) is called when an image is clicked.
 */
export function createCard(entry, { onZoom = null } = {}) {
  const players = [];
  const owned = []; // prefetched <img> elements this card holds (returned on dispose)
  const pauseOthers = (playing) => players.forEach((p) => p !== playing && p.pause());

  const text = entry.text.map((slot) =>
    field(slot, slot.state === "ok" ? h("div", { class: "mmw-text", text: slot.value }) : placeholder(slot, "text")),
  );
  const images = entry.images.map((slot) => field(slot, slot.state === "ok" ? image(slot, onZoom, owned) : placeholder(slot, "image")));
  const audios = entry.audios.map((slot) => {
    if (slot.state !== "ok" || !slot.el) return field(slot, placeholder(slot, "audio"));
    const player = createPlayer(slot, { onPlay: pauseOthers });
    players.push(player);
    return field(slot, player.el);
  });

  const el = h(
    "div",
    { class: "mmw-card", "data-item": entry.id },
    text.length ? h("div", { class: "mmw-col mmw-col-text" }, text) : null,
    images.length ? h("div", { class: "mmw-col mmw-col-image" }, images) : null,
    audios.length ? h("div", { class: "mmw-col mmw-col-audio" }, audios) : null,
  );

  return {
    el,
    players,
    toggleAudio() {
      players[0]?.toggle();
    },
    /**
     * Call `then` once the card is fully shown: text set, every image's decode() resolved, every
     * audio element's metadata loaded. Synchronous for prefetched media (decoded before the
     * card was built); a copy made for a second view waits for its own decode().
     */
    whenShown(then) {
      const imgs = [...el.querySelectorAll("img")];
      const audioReady = () => players.every((p) => p.media.readyState >= 1);
      if (imgs.every((img) => img.dataset.decoded === "1") && audioReady()) return void then();
      Promise.all(imgs.map((img) => img.decode().catch(() => {}))).then(then);
    },
    dispose() {
      players.forEach((p) => p.dispose());
      players.length = 0;
      owned.forEach((img) => img.remove()); // free for the next card of this item
    },
  };
}

function field(slot, body) {
  return h("div", { class: `mmw-field mmw-${slot.state}`, "data-column": slot.column }, h("div", { class: "mmw-colname", text: slot.column }), body);
}

function image(slot, onZoom, owned) {
  // the prefetched element is already decoded; while another card (another view, or one
  // built ahead) holds it, this card gets a copy. Listeners go on a per-card frame, never on
  // the shared element.
  let img = slot.img;
  if (img.parentNode) {
    img = img.cloneNode();
    delete img.dataset.decoded; // this copy decodes on its own
  } else owned.push(img);
  img.className = "mmw-img";
  const frame = h("div", { class: "mmw-frame" }, img);
  if (onZoom) {
    frame.classList.add("mmw-zoomable");
    frame.title = "click to zoom";
    frame.addEventListener("click", () => onZoom(slot, img));
  }
  return frame;
}

function placeholder(slot, modality) {
  if (slot.state === "error") {
    return h("div", { class: "mmw-media-error", role: "alert" }, h("strong", { text: `${modality} problem: ` }), slot.error ?? "unknown");
  }
  return h("div", { class: "mmw-placeholder", text: `no ${modality}` });
}

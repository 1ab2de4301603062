// An item card: text, image and audio side by side, each column labeled; a missing modality is
// a quiet placeholder, a broken one an error in words. Shared by the Labeler and the ItemView.
// Columns are grouped by renderer, so any registered modality drawn as text, image or audio
// shows up without a change here.
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

  // One drawer per renderer (a modality spec's `renderer`, mmwidgets/data/_modalities.py
  // RENDERERS); a slot of another modality drawn the same way names it in slot.modality.
  const draw = {
    text: (slot) => h("div", { class: "mmw-text", text: slot.value }),
    image: (slot) => image(slot, onZoom, owned),
    audio: (slot) => {
      if (!slot.el) return null;
      const player = createPlayer(slot, { onPlay: pauseOthers });
      players.push(player);
      return [player.el, transcript(slot)];
    },
  };
  const slots = { text: entry.text, image: entry.images, audio: entry.audios };
  const columns = Object.entries(slots).map(([renderer, list]) => {
    const fields = list.map((slot) => field(slot, (slot.state === "ok" ? draw[renderer](slot) : null) ?? placeholder(slot, slot.modality ?? renderer)));
    return fields.length ? h("div", { class: `mmw-col mmw-col-${renderer}` }, fields) : null;
  });

  const el = h("div", { class: "mmw-card", "data-item": entry.id }, columns);

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
  return h(
    "div",
    { class: `mmw-field mmw-${slot.state}`, "data-column": slot.column, "data-modality": slot.modality },
    h("div", { class: "mmw-colname", text: slot.column }),
    body,
  );
}

function image(slot, onZoom, owned) {
  // the prefetched element is already decoded; while another card (another view, or one
  // built ahead) holds it, this card gets a copy. Listeners go on a per-card frame, never on
  // the shared element.
  let img = slot.img;
  if (img.parentNode) {
    img = img.cloneNode();
    delete img.dataset.decoded; // this copy decodes on its own, now: a card built ahead of need
    const copy = img; // is shown decoded, without waiting for it in whenShown
    copy.decode().then(() => (copy.dataset.decoded = "1"), () => {});
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

// The words a speech encoder heard in the clip (slot.transcript, sent by Python), under its
// player; user data, so text only.
function transcript(slot) {
  if (typeof slot.transcript !== "string") return null;
  const words = slot.transcript.trim();
  return h("div", { class: words ? "mmw-transcript" : "mmw-transcript mmw-transcript-none", title: "transcript (speech to text)", text: words || "no words heard" });
}

function placeholder(slot, modality) {
  if (slot.state === "error") {
    return h("div", { class: "mmw-media-error", role: "alert" }, h("strong", { text: `${modality} problem: ` }), slot.error ?? "unknown");
  }
  return h("div", { class: "mmw-placeholder", text: `no ${modality}` });
}

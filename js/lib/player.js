// One audio column's player: play/pause, a waveform from the peaks Python sent (bundled
// wavesurfer.js; nothing is fetched or decoded again), click the waveform to seek, time/duration.
import WaveSurfer from "wavesurfer.js";
import { clock, h } from "./dom.js";

/** player = {el, toggle(), pause(), dispose()} for a ready audio slot (see media.js). */
export function createPlayer(slot, { height = 48, onPlay = () => {} } = {}) {
  const media = slot.el;
  const duration = () => (Number.isFinite(media.duration) && media.duration > 0 ? media.duration : slot.duration);
  const button = h("button", { class: "mmw-play", type: "button", tabindex: "-1", title: `play ${slot.column}`, text: "▶" });
  const time = h("span", { class: "mmw-time", text: `0:00 / ${clock(duration())}` });
  const wave = h("div", { class: "mmw-wave" });
  const el = h("div", { class: "mmw-player", "data-column": slot.column }, button, wave, time);

  const ws = WaveSurfer.create({
    container: wave,
    media,
    peaks: slot.peaks ? [slot.peaks] : undefined,
    duration: duration(),
    height,
    waveColor: "#9aa5b1",
    progressColor: "#1976d2",
    cursorColor: "#1976d2",
    cursorWidth: 1,
    barWidth: 2,
    barGap: 1,
    barRadius: 1,
    normalize: true,
    interact: true,
    hideScrollbar: true,
  });
  const show = () => {
    button.textContent = media.paused ? "▶" : "⏸";
    button.title = `${media.paused ? "play" : "pause"} ${slot.column}`;
    el.classList.toggle("mmw-playing", !media.paused);
  };
  // data-duration / data-time: what the player knows, for tests and notebooks to read
  const tick = () => {
    time.textContent = `${clock(media.currentTime)} / ${clock(duration())}`;
    el.dataset.time = String(media.currentTime);
  };
  el.dataset.duration = String(media.duration);
  ws.on("play", () => {
    show();
    onPlay(player);
  });
  ws.on("pause", show);
  ws.on("finish", show);
  ws.on("timeupdate", tick);
  ws.on("interaction", tick);

  const player = {
    el,
    media,
    toggle() {
      // play() rejects when a pause interrupts it; that is the user's intent, not an error
      ws.playPause().catch(() => {});
    },
    pause() {
      if (!media.paused) media.pause();
    },
    dispose() {
      media.pause();
      ws.destroy();
      if (media.readyState > 0) media.currentTime = 0; // shown again later: start over
    },
  };
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    player.toggle();
  });
  return player;
}

// One audio column's player: play/pause, a waveform from the peaks Python sent, click the
// waveform to seek, time/duration. The waveform is our own <canvas> (waveform.js), drawn when
// the player is built (off-screen, ahead of need), so it shows in the same frame as its card;
// the bundled wavesurfer.js takes over only once the person plays or seeks (nothing is fetched
// or decoded again: it gets the same peaks and media element).
import WaveSurfer from "wavesurfer.js";
import { clock, h } from "./dom.js";
import { WAVE_LOOK, drawWaveform } from "./waveform.js";

// The width the last waveform had on screen: players built off-screen draw for it (cards of one
// widget share a layout); a player whose width differs draws again before its first paint.
let lastWidth = 320;

/** player = {el, media, live, toggle(), pause(), dispose()} for a ready audio slot (see media.js). */
export function createPlayer(slot, { height = 48, onPlay = () => {} } = {}) {
  const media = slot.el;
  const duration = () => (Number.isFinite(media.duration) && media.duration > 0 ? media.duration : slot.duration);
  const button = h("button", { class: "mmw-play", type: "button", tabindex: "-1", title: `play ${slot.column}`, text: "▶" });
  const time = h("span", { class: "mmw-time", text: `0:00 / ${clock(duration())}` });
  const host = h("div", { class: "mmw-wave-live" }); // wavesurfer's container, once it exists
  const canvas = slot.peaks ? h("canvas", { class: "mmw-wave-canvas", style: { position: "absolute", left: "0", top: "0", width: "100%", height: "100%" } }) : null;
  const wave = h("div", { class: "mmw-wave", style: { position: "relative", height: `${height}px` } }, host, canvas);
  const el = h("div", { class: "mmw-player", "data-column": slot.column }, button, wave, time);

  let ws = null; // created on the first play or seek
  let disposed = false;
  const draw = (width) => {
    if (canvas && !ws && width >= 1) drawWaveform(canvas, slot.peaks, width, height, { pixelRatio: window.devicePixelRatio || 1 });
  };
  draw(lastWidth);
  // on screen (and on resizes): drawn again for the real width, after layout, before the paint
  const resized = new ResizeObserver(([entry]) => {
    const width = entry.contentRect.width;
    if (width < 1 || !canvas) return;
    lastWidth = width;
    const ratio = window.devicePixelRatio || 1;
    if (Math.abs(Number(canvas.dataset.cssWidth) - width) >= 0.5 || Number(canvas.dataset.ratio) !== ratio) draw(width);
  });
  if (canvas) resized.observe(wave);

  // wavesurfer for progress and seeking; our canvas stays on top until it has drawn
  const live = () => {
    if (ws || disposed || !slot.peaks) return;
    ws = WaveSurfer.create({
      container: host,
      media,
      peaks: [slot.peaks],
      duration: duration(),
      height,
      waveColor: WAVE_LOOK.waveColor,
      progressColor: "#1976d2",
      cursorColor: "#1976d2",
      cursorWidth: 1,
      barWidth: WAVE_LOOK.barWidth,
      barGap: WAVE_LOOK.barGap,
      barRadius: WAVE_LOOK.barRadius,
      normalize: true,
      interact: true,
      hideScrollbar: true,
    });
    ws.once("redrawcomplete", () => {
      canvas.hidden = true;
      el.dataset.live = "1"; // wavesurfer draws the waveform now (tests read it)
    });
  };
  const seek = (event) => {
    // a click on our canvas before wavesurfer exists: seek there, and hand over
    const box = canvas.getBoundingClientRect();
    const at = box.width > 0 ? Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)) : 0;
    if (Number.isFinite(duration())) media.currentTime = at * duration();
    live();
  };

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
  // the media element belongs to the prefetched entry and outlives this card: every listener
  // put on it is taken off in dispose()
  const onMediaPlay = () => {
    show();
    onPlay(player);
  };
  const listeners = { play: onMediaPlay, pause: show, ended: show, timeupdate: tick, seeked: tick };
  for (const [type, fn] of Object.entries(listeners)) media.addEventListener(type, fn);
  canvas?.addEventListener("click", seek);

  const player = {
    el,
    media,
    /** Whether wavesurfer has taken over the waveform (after a play or a seek). */
    get live() {
      return ws !== null;
    },
    toggle() {
      live();
      // play() rejects when a pause interrupts it; that is the user's intent, not an error
      if (media.paused) media.play().catch(() => {});
      else media.pause();
    },
    pause() {
      if (!media.paused) media.pause();
    },
    dispose() {
      disposed = true;
      resized.disconnect();
      for (const [type, fn] of Object.entries(listeners)) media.removeEventListener(type, fn);
      media.pause();
      ws?.destroy();
      ws = null;
      if (media.readyState > 0) media.currentTime = 0; // shown again later: start over
    },
  };
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    player.toggle();
  });
  return player;
}

// Turn an item payload (see mmwidgets/widgets/_payload.py) into a prefetch entry: blob URLs for
// its media, images decoded (img.decode()) and audio metadata loaded, ahead of being shown.
import { arrayAt, blobOf, bufferAt } from "./codecs.js";

/**
 * entry = {id, text, images, audios, label, meta, ready, settled}. `ready` resolves (never
 * rejects) once every image is decoded and every audio element knows its duration; a medium
 * the browser cannot decode turns into {state: "error", error} instead.
 * With {audio: "lazy"} audio gets a URL but no element (a gallery's play buttons make one).
 */
export function prepareEntry(payload, buffers, { audio = "eager" } = {}) {
  const urls = [];
  const waits = [];
  const urlOf = (col) => {
    const url = URL.createObjectURL(blobOf(bufferAt(buffers, col.buffer, col.column), col.mime));
    urls.push(url);
    return url;
  };

  const images = (payload.image ?? []).map((col) => {
    if (col.state !== "ok") return { ...col };
    const slot = { ...col, url: urlOf(col), img: new Image() };
    slot.img.alt = col.column;
    slot.img.draggable = false;
    slot.img.src = slot.url;
    waits.push(
      slot.img.decode().then(
        () => (slot.img.dataset.decoded = "1"),
        () => Object.assign(slot, { state: "error", error: `the browser could not decode this image (${col.mime})` }),
      ),
    );
    return slot;
  });

  const audios = (payload.audio ?? []).map((col) => {
    if (col.state !== "ok") return { ...col };
    const slot = { ...col, url: urlOf(col), peaks: col.peaks != null ? arrayAt(buffers, col.peaks, `${col.column} peaks`) : null };
    if (audio === "eager") {
      slot.el = new Audio();
      slot.el.preload = "auto";
      waits.push(metadataOf(slot));
    }
    return slot;
  });

  const entry = {
    id: payload.id,
    text: payload.text ?? [],
    images,
    audios,
    label: payload.label ?? null,
    meta: payload.meta ?? null,
    settled: false,
    urls,
  };
  entry.ready = Promise.all(waits).then(() => {
    entry.settled = true;
    return entry;
  });
  return entry;
}

function metadataOf(slot) {
  const el = slot.el;
  return new Promise((resolve) => {
    const finish = (ok) => {
      el.removeEventListener("loadedmetadata", onMeta);
      el.removeEventListener("error", onError);
      if (!ok) Object.assign(slot, { state: "error", error: `the browser could not play this audio (${slot.mime})` });
      resolve();
    };
    const onMeta = () => finish(true);
    const onError = () => finish(false);
    el.addEventListener("loadedmetadata", onMeta);
    el.addEventListener("error", onError);
    el.src = slot.url;
  });
}

/** Free an entry's media once it is settled (revoking a URL mid-load would log an error). */
export function releaseEntry(entry) {
  if (entry.released) return;
  entry.released = true;
  entry.ready.then(() => {
    for (const slot of entry.audios) {
      if (!slot.el) continue;
      slot.el.pause();
      slot.el.removeAttribute("src");
      slot.el.load();
    }
    for (const url of entry.urls) URL.revokeObjectURL(url);
  });
}

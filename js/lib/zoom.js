// Click an image to zoom: an overlay inside the widget shows the thumbnail at once, then a
// larger copy from Python (IMAGE request) when it has arrived and decoded.
import { blobOf, bufferAt } from "./codecs.js";
import { IMAGE } from "./protocol.js";
import { h } from "./dom.js";

export function createZoom(host, rpc, itemIdOf) {
  let overlay = null;
  let largeUrl = null;

  function close() {
    overlay?.remove();
    overlay = null;
    if (largeUrl) URL.revokeObjectURL(largeUrl);
    largeUrl = null;
  }

  function open(slot, img) {
    close();
    const big = h("img", { class: "mmw-zoom-img", alt: slot.column, src: img.src });
    overlay = h("div", { class: "mmw-zoom", role: "dialog", title: "click or Esc to close", onclick: close }, big);
    host.append(overlay);
    const mine = overlay;
    rpc
      .request(IMAGE, { item: itemIdOf(), column: slot.column, max_side: 1600 })
      .then(({ result, buffers }) => {
        if (overlay !== mine) return;
        const url = URL.createObjectURL(blobOf(bufferAt(buffers, result.buffer, slot.column), result.mime));
        const next = new Image();
        next.src = url;
        return next.decode().then(() => {
          if (overlay !== mine) return URL.revokeObjectURL(url);
          largeUrl = url;
          big.src = url;
        });
      })
      .catch(() => {}); // the thumbnail stays; zoom is a nicety
  }

  return {
    open,
    close,
    get isOpen() {
      return overlay !== null;
    },
  };
}

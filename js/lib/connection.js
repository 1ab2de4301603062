// The label store's connection, as the `connection` trait mirrors it
// (mmwidgets/widgets/_session_widget.py): a banner while a PostgreSQL store reconnects or has
// given up, hidden while it is connected. Shared by the Labeler and the Gallery.
import { h } from "./dom.js";

const WORDS = new Map([
  ["reconnecting", "reconnecting to the label store…"],
  ["lost", "label store unreachable: labels are not being saved"],
]);

/** The banner's text for a connection state; "" when there is nothing to say. */
export function connectionText(state) {
  return WORDS.get(state) ?? "";
}

/**
 * const banner = connectionBanner(model); root.prepend(banner.el); … banner.dispose()
 * A role="status" element that follows model's `connection` trait until disposed.
 */
export function connectionBanner(model) {
  const el = h("div", { class: "mmw-connection", role: "status", hidden: true });
  const paint = () => {
    const state = String(model.get("connection") ?? "connected");
    const text = connectionText(state);
    el.textContent = text;
    el.dataset.state = state;
    el.hidden = !text;
  };
  model.on("change:connection", paint);
  paint();
  return {
    el,
    dispose() {
      model.off("change:connection", paint);
    },
  };
}

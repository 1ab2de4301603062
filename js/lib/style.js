// The widgets' stylesheet, injected into each view (so it also works where views live in a
// shadow root). Colours follow JupyterLab's theme variables, with light fallbacks elsewhere.
const CSS = `
.mmw { --mmw-fg: var(--jp-ui-font-color1, #1f2328); --mmw-muted: var(--jp-ui-font-color2, #59636e);
  --mmw-bg: var(--jp-layout-color1, #fff); --mmw-bg2: var(--jp-layout-color2, #f3f4f6);
  --mmw-border: var(--jp-border-color2, #d0d7de); --mmw-accent: var(--jp-brand-color1, #1976d2);
  --mmw-error: var(--jp-error-color1, #d32f2f); --mmw-ok: var(--jp-success-color1, #388e3c);
  font-family: var(--jp-ui-font-family, system-ui, sans-serif); font-size: 13px; color: var(--mmw-fg);
  background: var(--mmw-bg); border: 1px solid var(--mmw-border); border-radius: 6px; padding: 8px;
  position: relative; outline: none; box-sizing: border-box; max-width: 100%; }
.mmw * { box-sizing: border-box; }
.mmw:focus-within { border-color: var(--mmw-accent); box-shadow: 0 0 0 2px color-mix(in srgb, var(--mmw-accent) 25%, transparent); }
.mmw-hint { color: var(--mmw-muted); font-size: 12px; margin-left: auto; }
.mmw-hint::after { content: "click here to use the keys"; }
.mmw:focus-within .mmw-hint::after { content: "keys active · Esc hands them back"; }
.mmw-error { display: flex; gap: 8px; align-items: flex-start; color: var(--mmw-error); background: color-mix(in srgb, var(--mmw-error) 10%, var(--mmw-bg));
  border: 1px solid var(--mmw-error); border-radius: 4px; padding: 6px 8px; margin-bottom: 8px; white-space: pre-wrap; }
.mmw-error[hidden] { display: none; }
.mmw-connection { color: var(--mmw-fg); background: color-mix(in srgb, #e0a800 18%, var(--mmw-bg)); border: 1px solid #e0a800;
  border-radius: 4px; padding: 6px 8px; margin-bottom: 8px; font-weight: 600; }
.mmw-connection[data-state=lost] { color: var(--mmw-error); background: color-mix(in srgb, var(--mmw-error) 10%, var(--mmw-bg)); border-color: var(--mmw-error); }
.mmw-connection[hidden] { display: none; }
.mmw-error button { margin-left: auto; }
.mmw-progress { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; margin-bottom: 8px; }
.mmw-bar { display: inline-block; position: relative; height: 8px; background: var(--mmw-bg2); border-radius: 4px; overflow: hidden; vertical-align: middle; }
.mmw-bar-fill { position: absolute; inset: 0 auto 0 0; background: var(--mmw-accent); }
.mmw-progress-bar { width: 160px; }
.mmw-confidence { width: 80px; margin-right: 6px; }
.mmw-model .mmw-bar { background: var(--mmw-bg); border: 1px solid var(--mmw-border); }
.mmw-classes { display: flex; flex-wrap: wrap; gap: 4px; }
.mmw-class-count { background: var(--mmw-bg2); border-radius: 10px; padding: 0 8px; }
.mmw-muted, .mmw-rate { color: var(--mmw-muted); }
.mmw-main { display: flex; gap: 10px; align-items: stretch; }
.mmw-stage { flex: 1 1 auto; min-width: 0; min-height: 160px; position: relative; }
.mmw-model { flex: 0 0 230px; background: var(--mmw-bg2); border-radius: 4px; padding: 8px; display: flex; flex-direction: column; gap: 4px; }
.mmw-panel-title { font-weight: 600; }
.mmw-row { display: grid; grid-template-columns: 84px 1fr; gap: 6px; align-items: baseline; }
.mmw-key { color: var(--mmw-muted); }
.mmw-value { min-width: 0; overflow-wrap: anywhere; }
.mmw-prediction { font-weight: 600; }
.mmw-status { color: var(--mmw-muted); font-size: 12px; margin-top: auto; padding-top: 6px; }
.mmw-badge { color: var(--mmw-muted); font-size: 12px; min-height: 18px; margin-bottom: 4px; }
.mmw-badge.mmw-history { color: var(--mmw-accent); font-weight: 600; }
.mmw-card { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.mmw-col { display: flex; flex-direction: column; gap: 8px; min-width: 0; }
.mmw-col-text { flex: 1 1 200px; }
.mmw-col-image { flex: 0 1 320px; }
.mmw-col-audio { flex: 1 1 240px; }
.mmw-colname { color: var(--mmw-muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; margin-bottom: 2px; }
.mmw-text { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 240px; overflow-y: auto; font-size: 15px; line-height: 1.4; }
.mmw-frame { display: flex; justify-content: center; background: var(--mmw-bg2); border-radius: 4px; }
.mmw-img { display: block; max-width: 100%; max-height: 280px; object-fit: contain; }
.mmw-zoomable { cursor: zoom-in; }
.mmw-zoom { position: absolute; inset: 0; z-index: 10; background: color-mix(in srgb, var(--mmw-bg) 92%, transparent);
  display: flex; align-items: center; justify-content: center; cursor: zoom-out; padding: 8px; }
.mmw-zoom-img { max-width: 100%; max-height: 100%; object-fit: contain; }
.mmw-placeholder { color: var(--mmw-muted); font-style: italic; padding: 6px 0; }
.mmw-media-error { color: var(--mmw-error); border: 1px dashed var(--mmw-error); border-radius: 4px; padding: 6px; overflow-wrap: anywhere; }
.mmw-player { display: grid; grid-template-columns: auto 1fr auto; align-items: center; gap: 6px; }
.mmw-wave { min-width: 80px; cursor: pointer; }
.mmw-time { color: var(--mmw-muted); font-variant-numeric: tabular-nums; font-size: 12px; }
.mmw-transcript { font-size: 14px; line-height: 1.4; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 120px; overflow-y: auto; }
.mmw-transcript-none { color: var(--mmw-muted); font-style: italic; }
.mmw button { font: inherit; color: inherit; background: var(--mmw-bg); border: 1px solid var(--mmw-border); border-radius: 4px; padding: 3px 8px; cursor: pointer; }
.mmw button:hover { border-color: var(--mmw-accent); }
.mmw button:disabled { opacity: .5; cursor: default; }
.mmw .mmw-play { width: 30px; padding: 3px 0; }
.mmw-labels { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }
.mmw .mmw-label.mmw-suggested { border-style: dashed; border-color: var(--mmw-accent); }
.mmw .mmw-label.mmw-on, .mmw .mmw-label.mmw-current { background: var(--mmw-accent); border-color: var(--mmw-accent); color: #fff; }
.mmw kbd { font: 11px var(--jp-code-font-family, monospace); border: 1px solid var(--mmw-border); border-radius: 3px; padding: 0 4px; margin-right: 5px; background: var(--mmw-bg2); color: var(--mmw-fg); }
.mmw-actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; align-items: center; }
.mmw-search { min-width: 14em; padding: 3px 6px; font: inherit; border: 1px solid var(--mmw-border, #bbb); border-radius: 4px; }
.mmw-empty { color: var(--mmw-muted); padding: 30px; text-align: center; }
.mmw-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin-top: 8px; }
.mmw-tile { border: 2px solid var(--mmw-border); border-radius: 6px; padding: 4px; display: flex; flex-direction: column; gap: 4px; cursor: pointer; user-select: none; min-width: 0; }
.mmw-tile.mmw-selected { border-color: var(--mmw-accent); background: color-mix(in srgb, var(--mmw-accent) 10%, var(--mmw-bg)); }
.mmw-tile.mmw-cursor { outline: 2px dotted var(--mmw-accent); outline-offset: 1px; }
.mmw-tile .mmw-frame { height: 110px; align-items: center; }
.mmw-tile .mmw-img { max-height: 110px; }
.mmw-tile-reason { font-size: 11px; color: var(--mmw-muted); overflow-wrap: anywhere; }
.mmw-snippet { font-size: 12px; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; overflow-wrap: anywhere; }
.mmw-tile-audio { display: flex; gap: 4px; flex-wrap: wrap; }
.mmw .mmw-mini-play { font-size: 11px; padding: 1px 6px; }
.mmw-chip { font-size: 12px; border-radius: 10px; padding: 0 8px; align-self: flex-start; border: 1px dashed var(--mmw-accent); color: var(--mmw-accent); }
.mmw-chip.mmw-assigned { border-style: solid; background: var(--mmw-accent); color: #fff; }
.mmw-chip.mmw-none { border-color: var(--mmw-border); color: var(--mmw-muted); }
`;

/** Put the stylesheet into a view's element (once per element). */
export function injectStyle(el) {
  if (el.querySelector(":scope > style[data-mmw]")) return;
  const style = document.createElement("style");
  style.dataset.mmw = "";
  style.textContent = CSS;
  el.prepend(style);
}

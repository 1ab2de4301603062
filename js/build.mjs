// Bundle each widget entry (js/*.js; shared code lives in js/lib/) into mmwidgets/static/.
// Runs offline: esbuild comes from npm at `make setup`, nothing is fetched at run time.
// Every widget instance sends its bundle to the browser, so source maps (4x the size) are
// only inlined on request: MMW_SOURCEMAP=1 node js/build.mjs
import { build } from "esbuild";
import { readdirSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "mmwidgets", "static");
const entryPoints = readdirSync(here)
  .filter((name) => name.endsWith(".js"))
  .map((name) => join(here, name));

mkdirSync(outdir, { recursive: true });
await build({
  entryPoints,
  outdir,
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  sourcemap: process.env.MMW_SOURCEMAP === "1" ? "inline" : false,
  logLevel: "warning",
});
console.log(`bundled ${entryPoints.length} widget entr${entryPoints.length === 1 ? "y" : "ies"} into ${outdir}`);

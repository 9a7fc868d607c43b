// Decodes latent codes with the explorer's own JavaScript (docs/assets/javascripts/explorer.js).
//
// Usage: node tests/explorer_golden.mjs EXPORT_DIR CODES_JSON
// EXPORT_DIR holds what `python -m vae_keras.export_web` wrote; CODES_JSON is a JSON list
// of [z0, z1]. Prints {"pixels": [[...784 values...], ...]} after checking both files'
// SHA-256 against the manifest, as the page does. Run by tests/test_export_web.py.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const explorer = require("../docs/assets/javascripts/explorer.js");

const [dir, codesPath] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const bytes = (name) => {
  const b = readFileSync(join(dir, name));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
const weights = await explorer.verify(bytes(manifest.decoder.file), manifest.decoder);
const points = await explorer.verify(bytes(manifest.points.file), manifest.points);
const decoder = explorer.parseDecoder(manifest, weights);
const parsed = explorer.parsePoints(manifest, points);
const codes = JSON.parse(readFileSync(codesPath, "utf8"));
const pixels = codes.map((z) => Array.from(explorer.decode(decoder, z)));
const checked = (await explorer.sha256(weights)) !== null;
process.stdout.write(JSON.stringify({ pixels, checked, points: parsed.count,
  firstMean: Array.from(parsed.means.slice(0, 2)), firstLabel: parsed.labels[0] }));

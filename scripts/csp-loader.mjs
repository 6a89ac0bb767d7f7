// Trunk post-build hook: move Trunk's inline module loader into an external file so the built
// page runs under a strict Content-Security-Policy without 'unsafe-inline' for scripts:
//   default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'
// Runs on the staging directory (TRUNK_STAGING_DIR) for both `trunk build` and `trunk serve`.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const dir = process.env.TRUNK_STAGING_DIR || process.argv[2];
if (!dir) { console.error('csp-loader: no TRUNK_STAGING_DIR'); process.exit(1); }
const file = path.join(dir, 'index.html');
let html = fs.readFileSync(file, 'utf8');
// (a minified page writes the attribute without quotes)
const re = /<script type="?module"?>([\s\S]*?)<\/script>/;
const m = html.match(re);
if (!m) { console.error('csp-loader: no inline module script found in index.html'); process.exit(1); }
const body = m[1].trim() + '\n';
const hash = crypto.createHash('sha256').update(body).digest('hex').slice(0, 16);
const name = `boot-${hash}.js`;
fs.writeFileSync(path.join(dir, name), body);
html = html.replace(re, `<script type="module" src="./${name}"></script>`);
if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html)) {
  console.error('csp-loader: an inline script is still present'); process.exit(1);
}
fs.writeFileSync(file, html);
console.log(`csp-loader: inline loader moved to ${name}`);

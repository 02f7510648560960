// Builds the GraphiQL page's assets into internal/server/graphiql/assets/:
// one bundle (graphiql.js, graphiql.css), Monaco's three workers, and the
// fonts and images the CSS inlined as data: URLs, written out as files so
// that the hub's CSP (default-src 'self') needs no data: source. Then
// records in BUILD.sha256 the hash of every input (package.json,
// package-lock.json, this script, src/) and of every output; a Go test
// (internal/server) fails when an input changed without a rebuild or an
// output was edited by hand. Run: npm ci && npm run build.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = '../../internal/server/graphiql/assets';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  target: ['chrome110', 'firefox115', 'safari16'],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: { graphiql: 'src/main.jsx' },
  outdir: out,
  format: 'iife',
  jsx: 'automatic',
  loader: { '.ttf': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl' },
});
await build({
  ...common,
  entryPoints: {
    'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
    'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
    'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
  },
  outdir: out,
  format: 'iife',
});

// data: URLs in the CSS become files named by their content's hash.
const ext = { 'font/ttf': 'ttf', 'font/woff': 'woff', 'font/woff2': 'woff2', 'image/png': 'png', 'image/svg+xml': 'svg', 'image/gif': 'gif' };
const cssPath = join(out, 'graphiql.css');
let css = readFileSync(cssPath, 'utf8');
css = css.replace(/url\(\s*(["']?)data:([^;,]+)(;base64)?,([^"')]*)\1\s*\)/g, (all, _q, type, b64, data) => {
  if (!ext[type]) throw new Error(`unexpected data: URL of type ${type} in the CSS`);
  const bytes = b64 ? Buffer.from(data, 'base64') : Buffer.from(decodeURIComponent(data), 'utf8');
  const name = createHash('sha256').update(bytes).digest('hex').slice(0, 16) + '.' + ext[type];
  writeFileSync(join(out, name), bytes);
  return `url(${name})`;
});
if (/url\(\s*["']?(data:|https?:|\/\/)/.test(css)) throw new Error('the CSS still loads a data: or outside URL');
writeFileSync(cssPath, css);
for (const f of readdirSync(out)) {
  if (f.endsWith('.js') && /https?:\/\/[^"'\s]*\.(js|css|woff2?|ttf)\b/.test(readFileSync(join(out, f), 'utf8'))) {
    console.warn(`note: ${f} mentions an outside asset URL`);
  }
}

const sha = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const lines = [];
for (const f of ['build.mjs', 'package-lock.json', 'package.json', ...readdirSync('src').sort().map((f) => 'src/' + f)]) {
  lines.push(`${sha(f)}  tools/graphiql/${f}`);
}
for (const f of readdirSync(out).sort()) {
  lines.push(`${sha(join(out, f))}  internal/server/graphiql/assets/${f}`);
}
writeFileSync('../../internal/server/graphiql/BUILD.sha256', lines.join('\n') + '\n');
console.log(`built ${readdirSync(out).length} files into internal/server/graphiql/assets`);

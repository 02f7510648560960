// Bundles the TypeScript client example for node with esbuild (types are checked by tsc first).
//   node tsclient/build.mjs IN.ts OUT.mjs
import { build } from 'esbuild';

const [entry, outfile] = process.argv.slice(2);
await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });

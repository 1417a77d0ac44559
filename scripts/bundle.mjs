// Bundles the two binaries into a few files each. Node spends most of a cold start resolving and
// loading hundreds of small ESM files (TypeBox alone is 266); one bundle starts in about half the time.
// sharp stays external: it loads a native libvips binding at run time.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const banner = { js: "import { createRequire as __tetherCreateRequire } from 'node:module'; const require = __tetherCreateRequire(import.meta.url);" };
const common = { bundle: true, external: ['sharp'], platform: 'node', format: 'esm', target: 'node20', splitting: true, banner, logLevel: 'warning', legalComments: 'none' };

// Chunk names are content hashes: clear old ones so the folders hold exactly one build.
for (const dir of ['cli/bundle', 'node-agent/bundle']) rmSync(dir, { recursive: true, force: true });

await Promise.all([
  build({ ...common, entryPoints: { main: 'cli/dist/main.js' }, outdir: 'cli/bundle' }),
  build({ ...common, entryPoints: { cli: 'node-agent/dist/cli.js' }, outdir: 'node-agent/bundle' }),
]);

// The Control UI's static files, served by the gateway.
await import('./build-ui.mjs');

// Builds the Control UI (gateway/ui/src) into gateway/ui/dist: one hashed script, one hashed style
// sheet and an index.html naming them. The gateway serves exactly these files (gateway/src/http/ui-routes.ts).
// The page's TypeScript is checked here because it is not part of the solution build (it targets the DOM).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const outdir = 'gateway/ui/dist';
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'gateway/ui/tsconfig.json'], { stdio: 'inherit' });

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const result = await build({
  entryPoints: { main: 'gateway/ui/src/main.ts', styles: 'gateway/ui/src/styles.css' },
  outdir,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome109', 'firefox115', 'safari15'],
  minify: true,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const script = outputs.find((name) => name.startsWith('main-') && name.endsWith('.js'));
const styles = outputs.find((name) => name.startsWith('styles-') && name.endsWith('.css'));
if (!script || !styles) throw new Error(`the UI build wrote no script or style sheet: ${outputs.join(', ')}`);
writeFileSync(
  `${outdir}/index.html`,
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Tether Control UI</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/${styles}">
<script type="module" src="/ui/${script}"></script>
</head>
<body>
<div id="app"><noscript>The Tether Control UI needs JavaScript.</noscript></div>
</body>
</html>
`,
);

// `npm run pack`: two tarballs that install with `npm install -g ./file.tgz` on a machine without this
// repository and run with no build step, written to dist-packages/:
//   tether-<version>.tgz       the `tether` CLI with the gateway: cli/bundle, the Control UI (gateway/ui/dist)
//   tether-node-<version>.tgz  `tether-node` alone: the node's commands, no gateway, agent or chat SDK
// Neither has a dependency but sharp, optional: without it a node sends captures as the tool made them.
// Needs a build first (npm run build; `npm run pack` does both). Fails, and says why, if the node bundle
// pulls the gateway or a chat SDK, or if a bundle imports a package the tarball would not carry.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const OUT = join(ROOT, 'dist-packages');
const STAGE = join(OUT, 'stage');

/** Packages the node-only tarball must never contain: the gateway's chat channels and the agent's SDKs. */
export const FORBIDDEN_IN_NODE = ['grammy', '@grammyjs', 'discord.js', '@discordjs', 'baileys', '@whiskeysockets', '@slack', 'openai', '@modelcontextprotocol'];
/** The cli files the node program may use (its commands and their output helpers); the rest is the gateway's side. */
const NODE_CLI_FILES = ['cli/dist/commands/node.js', 'cli/dist/commands/node-exec-policy.js', 'cli/dist/command-kit.js', 'cli/dist/output.js', 'cli/dist/commands/service-commands.js', 'cli/dist/commands/service-flags.js'];
/** `tether-node install|uninstall|status`: the service units (cli/src/service/), which import no gateway code. */
const NODE_CLI_DIRS = ['cli/dist/service/'];

function fail(message) {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(1);
}

function readJson(path) {
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8'));
}

function need(path, what) {
  if (!existsSync(join(ROOT, path))) fail(`${path} is missing (${what}); run npm run build first, or npm run pack, which builds`);
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/**
 * Packages a bundle still loads at run time that this repository has installed: they work here and would
 * be missing from the tarball. (Optional ones the bundled libraries try and do without, such as
 * bufferutil or jimp, are not installed here either, so a tarball behaves as the repository does.)
 */
function leakedImports(dir, packageRoot) {
  const builtins = new Set(builtinModules);
  const found = new Set();
  const patterns = [/\bimport\(\s*"([^"]+)"\s*\)/g, /\b__require\(\s*"([^"]+)"\s*\)/g, /^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)";/gm, /^import\s*"([^"]+)";/gm];
  for (const file of filesUnder(dir).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) {
      for (const [, specifier] of text.matchAll(pattern)) {
        if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || builtins.has(specifier) || specifier === 'sharp') continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
        if (installedBeside(dir, packageRoot, name)) found.add(`${specifier} (${relative(dir, file)})`);
      }
    }
  }
  return [...found];
}

/** Whether `name` resolves from `dir` through node_modules folders up to the repository's root. */
function installedBeside(dir, stop, name) {
  for (let at = dir; ; at = join(at, '..')) {
    if (existsSync(join(at, 'node_modules', name, 'package.json'))) return true;
    if (at === stop || at === join(at, '..')) return false;
  }
}

function writePackageJson(dir, fields) {
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(fields, null, 2)}\n`);
}

function npmPack(dir) {
  const out = execFileSync('npm', ['pack', dir, '--pack-destination', OUT, '--ignore-scripts', '--json', '--loglevel', 'error'], { cwd: OUT, encoding: 'utf8' });
  const [info] = JSON.parse(out);
  return join(OUT, info.filename);
}

need('cli/bundle/main.js', 'the CLI bundle');
need('gateway/ui/dist/index.html', 'the Control UI');
for (const file of NODE_CLI_FILES) need(file, "the node's commands");

const { version } = readJson('package.json');
// The sharp this repository installs and tests with, for both packages.
need('node_modules/sharp/package.json', 'sharp, installed by npm ci');
const sharpVersion = readJson('node_modules/sharp/package.json').version;
const common = {
  version,
  type: 'module',
  engines: { node: '>=20' },
  optionalDependencies: { sharp: sharpVersion },
};

rmSync(STAGE, { recursive: true, force: true });
mkdirSync(STAGE, { recursive: true });
for (const name of readdirSync(OUT)) if (/^tether(-node)?-.*\.tgz$/.test(name)) rmSync(join(OUT, name));

// --- tether: the repository's layout, so the gateway finds its UI beside the CLI's bundle ----------------
// (gateway/src/http/ui-routes.ts looks at ../../gateway/ui/dist/ from the bundle's chunk in cli/bundle/.)
const full = join(STAGE, 'tether');
cpSync(join(ROOT, 'cli/bin/tether.js'), join(full, 'cli/bin/tether.js'));
cpSync(join(ROOT, 'cli/bundle'), join(full, 'cli/bundle'), { recursive: true });
cpSync(join(ROOT, 'gateway/ui/dist'), join(full, 'gateway/ui/dist'), { recursive: true });
cpSync(join(ROOT, 'README.md'), join(full, 'README.md'));
writePackageJson(full, {
  name: 'tether',
  ...common,
  description: 'Tether: a node mesh for AI agents. The tether CLI with the gateway, its agent, chat channels and Control UI.',
  bin: { tether: 'cli/bin/tether.js' },
  files: ['cli/bin/', 'cli/bundle/', 'gateway/ui/dist/'],
});

// --- tether-node: its own bundle, from the node's commands only ------------------------------------------
const node = join(STAGE, 'tether-node');
const result = await build({
  entryPoints: { main: join(ROOT, 'scripts/tether-node-main.mjs') },
  outdir: join(node, 'bundle'),
  bundle: true,
  external: ['sharp'],
  platform: 'node',
  format: 'esm',
  target: 'node20',
  splitting: true,
  banner: { js: "import { createRequire as __tetherCreateRequire } from 'node:module'; const require = __tetherCreateRequire(import.meta.url);" },
  define: { __TETHER_VERSION__: JSON.stringify(version) },
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
});
const inputs = Object.keys(result.metafile.inputs).map((path) => relative(ROOT, join(ROOT, path)).split('\\').join('/'));
const pulled = inputs.filter((path) => {
  const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
  if (pkg) return FORBIDDEN_IN_NODE.some((name) => pkg === name || pkg.startsWith(`${name}/`)) || pkg === '@tether/gateway';
  if (path.startsWith('gateway/')) return true;
  return path.startsWith('cli/') && !NODE_CLI_FILES.includes(path) && !NODE_CLI_DIRS.some((dir) => path.startsWith(dir));
});
if (pulled.length > 0) fail(`the node bundle pulls code it must not carry (the gateway, the agent or a chat SDK):\n  ${pulled.slice(0, 20).join('\n  ')}`);
const named = filesUnder(join(node, 'bundle')).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  return FORBIDDEN_IN_NODE.filter((name) => text.includes(name)).map((name) => `${name} in ${relative(node, file)}`);
});
if (named.length > 0) fail(`the node bundle names a package it must not carry: ${named.join(', ')}`);

mkdirSync(join(node, 'bin'), { recursive: true });
writeFileSync(
  join(node, 'bin/tether-node.js'),
  `#!/usr/bin/env node
// tether-node: this machine as a Tether node (the same commands as \`tether node …\`).
import { main } from '../bundle/main.js';
// Exit explicitly: a finished command must never hang on a stray timer or socket.
process.exit(await main(process.argv));
`,
  { mode: 0o755 },
);
writeFileSync(
  join(node, 'README.md'),
  `# tether-node ${version}

This machine as a node of a Tether mesh: it connects to a gateway
and serves the commands its owner allows (system.run, camera, screen, location, notifications).

    npm install -g ./tether-node-${version}.tgz
    tether devices setup-code            # on the gateway host: prints a one-time code
    tether-node run --pair '<code>'      # here: pairs at once and starts serving
    tether-node allow uname              # let system.run start uname
    tether-node doctor                   # which command families this machine can offer

The commands are those of \`tether node …\`: run, allow, disallow, policy, trust, doctor, identity.
sharp (optional) downscales camera and screen captures; without it they are sent as the capture tool made them.
`,
);
writePackageJson(node, {
  name: 'tether-node',
  ...common,
  description: 'Tether node agent alone: connects this machine to a Tether gateway and serves its commands.',
  bin: { 'tether-node': 'bin/tether-node.js' },
  files: ['bin/', 'bundle/'],
});

// --- the bundles carry everything; the versions agree ------------------------------------------------------
for (const [dir, what] of [[join(ROOT, 'cli/bundle'), 'tether'], [join(node, 'bundle'), 'tether-node']]) {
  const foreign = leakedImports(dir, ROOT);
  if (foreign.length > 0) fail(`the ${what} bundle imports packages the tarball does not carry: ${foreign.slice(0, 10).join(', ')}`);
}
for (const [bin, what] of [[join(full, 'cli/bin/tether.js'), 'tether'], [join(node, 'bin/tether-node.js'), 'tether-node']]) {
  const printed = execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim();
  if (printed !== version) fail(`${what} --version prints ${printed}, but package.json says ${version}: bump cli/src/gateway-target.ts's CLI_VERSION with it`);
}

const tarballs = [npmPack(full), npmPack(node)];
for (const tgz of tarballs) process.stdout.write(`${relative(ROOT, tgz)}  ${(statSync(tgz).size / 1024 / 1024).toFixed(2)} MB\n`);
process.stdout.write(`Install on another machine: npm install -g ./${relative(OUT, tarballs[1])} (a node) or ./${relative(OUT, tarballs[0])} (the gateway and CLI)\n`);

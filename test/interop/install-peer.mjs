#!/usr/bin/env node
// Installs the real OpenClaw peer for the interop suite into a cache outside the repository, and
// reuses it when it is already there: Node 24 (OpenClaw needs it) and two OpenClaw releases.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const NODE24_VERSION = '24.21.0';
export const OPENCLAW_VERSIONS = ['2026.9.6', '2026.4.24'];

export function interopCacheDir(env = process.env) {
  return env.TETHER_INTEROP_CACHE || join(homedir(), '.cache', 'tether-interop');
}

export function peerPaths(cache = interopCacheDir()) {
  return {
    node24: join(cache, 'node24', 'node_modules', 'node', 'bin', 'node'),
    openclaw: Object.fromEntries(
      OPENCLAW_VERSIONS.map((v) => [v, join(cache, `openclaw-${v}`, 'node_modules', 'openclaw', 'openclaw.mjs')]),
    ),
  };
}

function npmInstall(dir, spec, node24) {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  process.stderr.write(`installing ${spec} into ${dir}\n`);
  // OpenClaw's install scripts refuse Node < 24, so they must find Node 24 first on PATH.
  const env = node24 ? { ...process.env, PATH: `${dirname(node24)}:${process.env.PATH}` } : process.env;
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', spec], { cwd: dir, stdio: 'inherit', env });
}

export function ensurePeerInstalled(cache = interopCacheDir()) {
  const paths = peerPaths(cache);
  if (!existsSync(paths.node24)) npmInstall(join(cache, 'node24'), `node@${NODE24_VERSION}`);
  for (const version of OPENCLAW_VERSIONS) {
    if (!existsSync(paths.openclaw[version])) npmInstall(join(cache, `openclaw-${version}`), `openclaw@${version}`, paths.node24);
  }
  return paths;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const paths = ensurePeerInstalled();
  process.stdout.write(`${JSON.stringify(paths, null, 2)}\n`);
}

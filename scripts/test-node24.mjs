#!/usr/bin/env node
// `npm run test:node24`: the core suite (unit and end-to-end) again on Node 24, the other Node major
// we support. Node 24 comes from the npm registry's `node@24` package, installed once into the interop
// cache (the interop suite needs it too); the end-to-end tests' children inherit it as process.execPath.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensurePeerInstalled } from '../test/interop/install-peer.mjs';

const { node24 } = ensurePeerInstalled();
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const version = spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim();
process.stderr.write(`core suite on Node ${version} (${node24})\n`);
const run = spawnSync(node24, [vitest, 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);

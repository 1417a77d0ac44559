/**
 * The two tarballs of `npm run pack`, installed as a person would on a machine without this repository
 * (`npm install -g`, no optional dependencies, no registry), then used end to end: the installed gateway,
 * the installed node paired with it, a command run through it, and a camera still sent as ffmpeg made it
 * because sharp is not there. Slow (npm pack and install): generous deadlines, assertions on outcomes only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cleanup, runProcess, spawnProcess, tempDir, type Spawned } from './helpers/processes.js';

afterAll(cleanup);

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const FORBIDDEN = ['grammy', 'discord.js', 'baileys', '@slack/', 'openai', '@modelcontextprotocol', 'startGateway'];
const MB = 1024 * 1024;

let tetherBin: string;
let nodeBin: string;
let nodePackageDir: string;

/** `npm install -g` of a tarball into its own prefix: offline with an empty cache, so sharp cannot come. */
function installGlobal(tarball: string): string {
  const prefix = tempDir('tether-pack-prefix-');
  const cache = tempDir('tether-pack-cache-');
  execFileSync('npm', ['install', '-g', '--prefix', prefix, tarball, '--omit=optional', '--offline', '--cache', cache, '--no-audit', '--no-fund', '--loglevel', 'error'], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  return prefix;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'scripts/pack.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  const tetherPrefix = installGlobal(join(ROOT, `dist-packages/tether-${VERSION}.tgz`));
  const nodePrefix = installGlobal(join(ROOT, `dist-packages/tether-node-${VERSION}.tgz`));
  tetherBin = join(tetherPrefix, 'bin/tether');
  nodeBin = join(nodePrefix, 'bin/tether-node');
  nodePackageDir = join(nodePrefix, 'lib/node_modules/tether-node');
}, 600_000);

describe('the installed packages', () => {
  it('the node package carries no gateway, agent or chat SDK code, no sharp, and stays under 15 MB', () => {
    const files = filesUnder(nodePackageDir);
    const found = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return FORBIDDEN.filter((word) => text.includes(word)).map((word) => `${word} in ${file}`);
    });
    expect(found).toEqual([]);
    expect(existsSync(join(nodePackageDir, 'node_modules/sharp'))).toBe(false);
    const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
    expect(bytes).toBeLessThan(15 * MB);
  });

  it('both bins run from the install and print the package version', async () => {
    for (const bin of [tetherBin, nodeBin]) {
      const result = await runProcess(bin, ['--version'], {}, 60_000);
      expect(result.stdout.trim()).toBe(VERSION);
      expect(result.code).toBe(0);
    }
  });

  it("the node's doctor says captures go out as the tool made them", async () => {
    const doctor = await runProcess(nodeBin, ['doctor', '--state-dir', tempDir('tether-pack-doctor-')], {}, 60_000);
    expect(doctor.stdout).toContain('sharp: not installed — captures are sent as the capture tool made them (no downscaling)');
    expect(doctor.code).toBe(0);
  });
});

describe('the installed gateway and node, end to end', () => {
  let gatewayDir: string;
  let nodeDir: string;
  let node: Spawned;
  const hasFfmpeg = (() => {
    try {
      execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it('pairs the installed tether-node with the installed gateway and runs uname -s through it', async () => {
    gatewayDir = tempDir('tether-pack-gw-');
    const gateway = spawnProcess(tetherBin, ['gateway', 'run', '--port', '0', '--state-dir', gatewayDir]);
    const listening = await gateway.waitFor(/\{"event":"listening","url":"([^"]+)","port":(\d+)/, 90_000);
    const url = listening[1]!;

    nodeDir = tempDir('tether-pack-node-');
    if (hasFfmpeg) writeFileSync(join(nodeDir, 'node-config.json'), JSON.stringify({ version: 1, camera: { source: 'lavfi:testsrc=s=320x240:r=5' } }));
    const token = readFileSync(join(gatewayDir, 'gateway.token'), 'utf8').trim();
    // The shared token, as `tether up` hands it to a node on the gateway's host: a silent loopback pair.
    node = spawnProcess(nodeBin, ['run', '--url', url, '--state-dir', nodeDir, '--display-name', 'packed-node'], { TETHER_GATEWAY_TOKEN: token });
    await node.waitFor(/connected to .* as packed-node/, 90_000);

    const allow = await runProcess(nodeBin, ['allow', 'uname', '--state-dir', nodeDir], {}, 60_000);
    expect(allow.code).toBe(0);
    const run = await runProcess(tetherBin, ['nodes', 'run', '--node', 'packed-node', '--state-dir', gatewayDir, '--', 'uname', '-s'], {}, 90_000);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(execFileSync('uname', ['-s'], { encoding: 'utf8' }));
    expect(run.code).toBe(0);
  }, 300_000);

  it('sends a camera still as ffmpeg made it when sharp is not installed (maxWidth cannot shrink it)', async (context) => {
    if (!hasFfmpeg) {
      console.log('skipped: ffmpeg is not on PATH (Debian package ffmpeg), so the synthetic camera cannot run');
      context.skip();
    }
    await node.waitFor(/offering .*camera\.snap/, 30_000);
    const out = await runProcess(
      tetherBin,
      ['nodes', 'invoke', '--node', 'packed-node', '--state-dir', gatewayDir, '--command', 'camera.snap', '--params', '{"maxWidth":80,"quality":0.3}', '--json'],
      {},
      120_000,
    );
    expect(out.code).toBe(0);
    const { payload } = JSON.parse(out.stdout) as { payload: { format: string; base64: string; width: number; height: number } };
    expect([payload.format, payload.width, payload.height]).toEqual(['jpg', 320, 240]);
    expect(Buffer.from(payload.base64, 'base64').subarray(0, 2).toString('hex')).toBe('ffd8');
  }, 300_000);
});

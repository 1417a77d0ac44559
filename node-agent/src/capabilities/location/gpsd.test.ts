/**
 * location.get against a real gpsd: gpsfake replays an NMEA log (Vienna, 48.20849 N 16.37208 E) into a
 * private gpsd on a free port. CI installs gpsd and gpsd-clients; without them this suite fails loudly.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError } from '../capability.js';
import { createLocationProvider } from './provider.js';

const FIXTURE = fileURLToPath(new URL('../../../test-fixtures/vienna.nmea', import.meta.url));

/** NMEA checksum: XOR of every character between '$' and '*'. */
export function nmeaChecksum(body: string): string {
  let sum = 0;
  for (const ch of body) sum ^= ch.charCodeAt(0);
  return sum.toString(16).toUpperCase().padStart(2, '0');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, ms: number, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`gpsfake exited with ${child.exitCode}: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gpsd (via gpsfake) did not listen on port ${port} within ${ms} ms: ${output()}`);
}

/** Live (non-zombie) processes in a process group. */
function liveInGroup(pgid: number): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => {
    const [, group, stat] = line.trim().split(/\s+/);
    return Number(group) === pgid && stat !== undefined && !stat.startsWith('Z');
  });
}

describe('location.get via gpsd (gpsfake)', () => {
  let gpsfake: ChildProcess | undefined;
  let port = 0;
  let dir = '';
  let output = '';

  beforeAll(async () => {
    try {
      execFileSync('which', ['gpsfake', 'gpsd'], { stdio: 'pipe' });
    } catch {
      throw new Error('gpsfake/gpsd not found on PATH: install them (Debian/Ubuntu: apt-get install gpsd gpsd-clients)');
    }
    dir = mkdtempSync(join(tmpdir(), 'tether-gpsfake-'));
    port = await freePort();
    // -n: gpsd reads the log without waiting for a client; -c 0.2: a sentence every 200 ms, looping.
    // Detached: gpsfake and its gpsd share a new process group that afterAll kills as one.
    // TMPDIR: gpsfake puts gpsd's control socket there and never removes it when killed.
    gpsfake = spawn('gpsfake', ['-P', String(port), '-n', '-q', '-c', '0.2', FIXTURE], {
      cwd: dir,
      env: { ...process.env, TMPDIR: dir },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gpsfake.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    gpsfake.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitForPort(port, 10_000, gpsfake, () => output);
  });

  afterAll(async () => {
    const pid = gpsfake?.pid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGTERM'); // the group: gpsfake and the gpsd it started
      } catch {
        // already gone
      }
      const until = Date.now() + 5_000;
      while (liveInGroup(pid).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (liveInGroup(pid).length > 0) process.kill(-pid, 'SIGKILL');
      expect(liveInGroup(pid)).toEqual([]);
      // gpsd leaves its per-port shared-memory segment behind (key from gpsfake: 0x4770<port>).
      const key = `0x4770${port.toString(16).toUpperCase().padStart(4, '0')}`;
      spawnSync('ipcrm', ['-M', key], { stdio: 'ignore' });
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('uses a fixture whose NMEA checksums are correct', () => {
    const lines = readFileSync(FIXTURE, 'utf8').split('\r\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) {
      const match = /^\$([^*]+)\*([0-9A-F]{2})$/.exec(line);
      expect(match, line).not.toBeNull();
      expect(nmeaChecksum(match?.[1] ?? ''), line).toBe(match?.[2]);
    }
  });

  it('returns the fixture position with source "gps"', async () => {
    const provider = createLocationProvider({ gpsd: { host: '127.0.0.1', port }, geoclue: false });
    const result = (await provider.run('location.get', { timeoutMs: 10_000 }, new AbortController().signal)) as Record<string, unknown>;
    expect(result.source).toBe('gps');
    expect(Math.abs((result.lat as number) - 48.20849)).toBeLessThan(1e-4);
    expect(Math.abs((result.lon as number) - 16.37208)).toBeLessThan(1e-4);
    expect(result.altitudeMeters).toBeCloseTo(182, 3);
    // A TPV built from a GGA alone has no track; once an RMC arrives it is 270.
    if (result.headingDeg !== undefined) expect(result.headingDeg).toBeCloseTo(270, 3);
    expect(result.isPrecise).toBe(true);
    // The log's time once gpsd has seen an RMC (it carries the date); before that, arrival time.
    const timestamp = String(result.timestamp);
    if (!/^2026-01-03T12:34:5\d\.000Z$/.test(timestamp)) expect(Math.abs(Date.now() - Date.parse(timestamp))).toBeLessThan(60_000);
  });

  it('detect() finds the gpsd port within the probe budget', async () => {
    const provider = createLocationProvider({ gpsd: { host: '127.0.0.1', port }, geoclue: false });
    const started = Date.now();
    await expect(provider.detect()).resolves.toEqual({ available: true, backend: `gpsd 127.0.0.1:${port}` });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('ignores fixes older than maxAgeMs and times out', async () => {
    // The log's fixes are dated 2026-01-03, far older than a minute.
    const provider = createLocationProvider({ gpsd: { host: '127.0.0.1', port }, geoclue: false });
    const error = await provider.run('location.get', { timeoutMs: 1_500, maxAgeMs: 60_000 }, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).code).toBe('LOCATION_TIMEOUT');
    expect((error as CommandError).message).toMatch(/fix\(es\) older than maxAgeMs ignored/);
  });
});

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandError } from '../capability.js';
import { tpvToLocation } from './gpsd.js';
import { createLocationProvider } from './provider.js';
import { rejectionOf } from '../../../../test/helpers/rejection.js';

const signal = (): AbortSignal => new AbortController().signal;

const failureOf = (promise: Promise<unknown>) => rejectionOf(promise, CommandError);

/** A TCP server on a free port; `onSocket` decides what it says. */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => (sockets.push(socket), onSocket(socket)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return { server, port: address.port, sockets };
}

async function closedPort(): Promise<number> {
  const { server, port } = await tcpServer(() => undefined);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('location provider', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tether-location-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns a fixed location with source "fixed"', async () => {
    const provider = createLocationProvider({ fixed: { lat: 48.20849, lon: 16.37208, accuracyMeters: 12.5, altitudeMeters: 182 }, gpsd: false });
    await expect(provider.detect()).resolves.toEqual({ available: true, backend: 'fixed' });
    const result = await provider.run('location.get', {}, signal());
    expect(result).toMatchObject({ lat: 48.20849, lon: 16.37208, accuracyMeters: 12.5, altitudeMeters: 182, isPrecise: true, source: 'fixed' });
    expect(Math.abs(Date.now() - Date.parse((result as { timestamp: string }).timestamp))).toBeLessThan(5_000);
    const coarse = createLocationProvider({ fixed: { lat: 1, lon: 2, accuracyMeters: 5_000 } });
    await expect(coarse.run('location.get', undefined, signal())).resolves.toMatchObject({ isPrecise: false, source: 'fixed' });
  });

  it('rejects bad params with INVALID_REQUEST', async () => {
    const provider = createLocationProvider({ fixed: { lat: 1, lon: 2 } });
    expect((await failureOf(provider.run('location.get', { timeoutMs: 50 }, signal()))).code).toBe('INVALID_REQUEST');
    expect((await failureOf(provider.run('location.get', { desiredAccuracy: 'exact' }, signal()))).code).toBe('INVALID_REQUEST');
    const extra = await failureOf(provider.run('location.get', { where: 'here' }, signal()));
    expect(extra.message).toContain('unexpected property "where"');
  });

  it('lists every source\'s reason when nothing is configured or reachable', async () => {
    const port = await closedPort();
    const provider = createLocationProvider({ gpsd: { host: '127.0.0.1', port }, env: { PATH: dir }, configPath: '/state/node-config.json' });
    const error = await failureOf(provider.run('location.get', { timeoutMs: 2_000 }, signal()));
    expect(error.code).toBe('LOCATION_UNAVAILABLE');
    expect(error.message).toContain('fixed: not configured (set location.fixed in /state/node-config.json)');
    expect(error.message).toContain(`gpsd: connection refused at 127.0.0.1:${port} (install gpsd and a GPS receiver`);
    expect(error.message).toContain('geoclue: gdbus not found');
    const detection = await provider.detect();
    expect(detection.available).toBe(false);
    if (!detection.available) {
      expect(detection.reason).toContain(`gpsd: connection refused at 127.0.0.1:${port}`);
      expect(detection.reason).toContain('geoclue: gdbus not found');
      expect(detection.fix).toContain('location.fixed');
    }
  });

  it('times out with LOCATION_TIMEOUT when gpsd accepts but never reports a fix', async () => {
    const received: string[] = [];
    const { server, port, sockets } = await tcpServer((socket) => socket.on('data', (d) => received.push(d.toString())));
    try {
      const provider = createLocationProvider({ gpsd: { host: '127.0.0.1', port }, env: { PATH: dir } });
      const started = Date.now();
      const error = await failureOf(provider.run('location.get', { timeoutMs: 800 }, signal()));
      const elapsed = Date.now() - started;
      expect(error.code).toBe('LOCATION_TIMEOUT');
      expect(error.message).toContain(`no fix from gpsd at 127.0.0.1:${port} within 800 ms`);
      expect(elapsed).toBeGreaterThanOrEqual(790);
      expect(elapsed).toBeLessThan(800 + 500);
      expect(received.join('')).toBe('?WATCH={"enable":true,"json":true};\n');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives up early when gpsd has no receiver, and honours cancellation', async () => {
    const { server, port, sockets } = await tcpServer((socket) => socket.write('{"class":"VERSION","release":"3.22"}\n{"class":"DEVICES","devices":[]}\n'));
    try {
      const provider = createLocationProvider({ gpsd: { host: '127.0.0.1', port }, geoclue: false });
      const started = Date.now();
      const error = await failureOf(provider.run('location.get', { timeoutMs: 10_000 }, signal()));
      expect(error.code).toBe('LOCATION_UNAVAILABLE');
      expect(error.message).toContain('has no GPS receiver attached');
      expect(Date.now() - started).toBeLessThan(3_000);

      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const cancelled = await failureOf(provider.run('location.get', { timeoutMs: 10_000 }, controller.signal));
      expect(cancelled.details).toEqual({ cancelled: true });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads GeoClue through gdbus and where-am-i (fake tools on PATH)', async () => {
    const script = (name: string, body: string): void => {
      writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    };
    script('gdbus', `echo "(['org.freedesktop.DBus', 'org.freedesktop.GeoClue2'],)"`);
    script('where-am-i', [
      'echo "Client object: /org/freedesktop/GeoClue2/Client/1"', 'echo', 'echo "New location:"',
      'echo "Latitude:    48.208490°"', 'echo "Longitude:   16.372080°"', 'echo "Accuracy:    25.000000 meters"',
      'echo "Timestamp:   Sat Jan  3 12:34:56 2026 (1767443696 seconds since the Epoch)"', 'exec sleep 30',
    ].join('\n'));
    const provider = createLocationProvider({ gpsd: false, env: { PATH: dir }, platform: 'linux' });
    await expect(provider.detect()).resolves.toEqual({ available: true, backend: 'geoclue' });
    const started = Date.now();
    const result = await provider.run('location.get', { timeoutMs: 5_000 }, signal());
    expect(Date.now() - started).toBeLessThan(2_000); // stopped after the first fix, not at -t
    expect(result).toEqual({ lat: 48.20849, lon: 16.37208, accuracyMeters: 25, timestamp: '2026-01-03T12:34:56.000Z', isPrecise: true, source: 'geoclue' });
  });
});

describe('tpvToLocation', () => {
  const now = Date.parse('2026-01-03T12:35:00Z');
  it('maps a 3D fix, with accuracy from epx/epy when eph is missing', () => {
    const tpv = { class: 'TPV', mode: 3, lat: 1.5, lon: 2.5, altMSL: 10, alt: 11, epx: 4, epy: 7, speed: 1.2, track: 90, time: '2026-01-03T12:34:59.000Z' };
    expect(tpvToLocation(tpv, undefined, now)).toEqual({
      lat: 1.5, lon: 2.5, accuracyMeters: 7, altitudeMeters: 10, speedMps: 1.2, headingDeg: 90, timestamp: '2026-01-03T12:34:59.000Z', isPrecise: true, source: 'gps',
    });
  });
  it('skips reports without a fix and stale ones', () => {
    expect(tpvToLocation({ class: 'TPV', mode: 1, lat: 1, lon: 2 }, undefined, now)).toBeUndefined();
    expect(tpvToLocation({ class: 'TPV', mode: 2, lat: 1 }, undefined, now)).toBeUndefined();
    expect(tpvToLocation({ class: 'TPV', mode: 2, lat: 1, lon: 2, time: '2026-01-03T12:00:00Z' }, 60_000, now)).toBe('stale');
    expect(tpvToLocation({ class: 'TPV', mode: 2, lat: 1, lon: 2, eph: 500 }, 60_000, now)).toMatchObject({ isPrecise: false, timestamp: new Date(now).toISOString() });
  });
});

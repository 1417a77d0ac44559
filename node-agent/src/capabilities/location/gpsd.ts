/**
 * A fix from gpsd's JSON socket: connect, `?WATCH`, read newline-delimited JSON until a TPV report with
 * a 2D/3D fix arrives. Written here (about 60 lines) because node-gpsd is stale and this is all we need.
 */
import { connect, type Socket } from 'node:net';
import type { LocationGetResult } from '@tether/protocol';
import { failure, locationResult, type SourceOutcome } from './types.js';

export interface GpsdEndpoint {
  host: string;
  port: number;
}

export interface GpsdReadOptions {
  timeoutMs: number;
  /** Ignore TPV reports whose `time` is older than this. */
  maxAgeMs?: number;
  signal: AbortSignal;
}

/** gpsd gives no error estimate for some receivers; assume a typical consumer GPS. */
export const DEFAULT_GPS_ACCURACY_METERS = 30;
const MAX_LINE_CHARS = 256 * 1024;
/** How long to wait for a receiver when gpsd says it has none. */
const NO_DEVICE_GRACE_MS = 1_500;

export function readGpsdFix(endpoint: GpsdEndpoint, options: GpsdReadOptions): Promise<SourceOutcome> {
  const where = `${endpoint.host}:${endpoint.port}`;
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port });
    let buffer = '';
    let stale = 0;
    let lastMode: number | undefined;
    let settled = false;
    let noDevice: NodeJS.Timeout | undefined;
    const finish = (outcome: SourceOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(noDevice);
      options.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => finish(failure('cancelled', 'cancelled'));
    const timer = setTimeout(() => {
      const notes = [stale > 0 ? `${stale} fix(es) older than maxAgeMs ignored` : '', lastMode !== undefined ? `last mode ${lastMode}` : 'no TPV report']
        .filter((note) => note !== '')
        .join(', ');
      finish(failure('timeout', `no fix from gpsd at ${where} within ${options.timeoutMs} ms (${notes})`));
    }, options.timeoutMs);
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });

    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('?WATCH={"enable":true,"json":true};\n'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'ECONNREFUSED' ? `connection refused at ${where}` : `cannot reach gpsd at ${where}: ${error.message}`;
      finish(failure('unavailable', reason));
    });
    socket.on('close', () => finish(failure('unavailable', `gpsd at ${where} closed the connection before a fix`)));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const report = parseReport(line);
        if (report?.class === 'DEVICES' && Array.isArray(report.devices) && report.devices.length === 0) {
          // No receiver yet. One may be attaching right now (hotplug, gpsfake), so wait a little for a
          // DEVICE report, but not the whole timeout: that would only delay the next source.
          noDevice ??= setTimeout(() => finish(failure('unavailable', `gpsd at ${where} has no GPS receiver attached`)), NO_DEVICE_GRACE_MS);
        }
        if (report?.class === 'DEVICE') clearTimeout(noDevice);
        if (report?.class !== 'TPV') continue;
        lastMode = num(report.mode);
        const outcome = tpvToLocation(report, options.maxAgeMs);
        if (outcome === 'stale') stale += 1;
        else if (outcome) return finish({ ok: true, location: outcome });
      }
      if (buffer.length > MAX_LINE_CHARS) finish(failure('unavailable', `gpsd at ${where} sent a line longer than ${MAX_LINE_CHARS} characters`));
    });
  });
}

export type Report = Record<string, unknown>;

function parseReport(line: string): Report | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Report) : undefined;
  } catch {
    return undefined; // gpsd may interleave NMEA or other text; only JSON reports matter
  }
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The location in a TPV report, 'stale' when older than maxAgeMs, undefined when it has no fix. */
export function tpvToLocation(tpv: Report, maxAgeMs: number | undefined, now = Date.now()): LocationGetResult | 'stale' | undefined {
  const mode = num(tpv.mode) ?? 0;
  const lat = num(tpv.lat);
  const lon = num(tpv.lon);
  if (mode < 2 || lat === undefined || lon === undefined) return undefined;
  const timeMs = typeof tpv.time === 'string' ? Date.parse(tpv.time) : Number.NaN;
  if (maxAgeMs !== undefined && Number.isFinite(timeMs) && now - timeMs > maxAgeMs) return 'stale';
  const epx = num(tpv.epx);
  const epy = num(tpv.epy);
  const accuracyMeters = num(tpv.eph) ?? (epx !== undefined && epy !== undefined ? Math.max(epx, epy) : undefined) ?? DEFAULT_GPS_ACCURACY_METERS;
  const altitudeMeters = mode >= 3 ? (num(tpv.altMSL) ?? num(tpv.alt)) : undefined;
  const speedMps = num(tpv.speed);
  const headingDeg = num(tpv.track);
  return locationResult({ lat, lon, accuracyMeters, altitudeMeters, speedMps, headingDeg, timestampMs: Number.isFinite(timeMs) ? timeMs : now, source: 'gps' });
}

/** A quick reachability check for detect(): resolves with undefined when something accepts on the port. */
export function probeTcp(endpoint: GpsdEndpoint, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: endpoint.host, port: endpoint.port });
    const done = (reason: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    const timer = setTimeout(() => done(`no answer from ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => done(undefined));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      done(error.code === 'ECONNREFUSED' ? `connection refused at ${endpoint.host}:${endpoint.port}` : `${endpoint.host}:${endpoint.port}: ${error.message}`),
    );
  });
}

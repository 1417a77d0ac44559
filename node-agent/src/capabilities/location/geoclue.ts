/**
 * GeoClue2 over the system D-Bus. `gdbus call` checks that the service exists, but it cannot read a
 * location by itself: every `gdbus call` is a new bus connection, and GeoClue deletes a client object
 * (Manager.GetClient → Start → LocationUpdated) as soon as the connection that created it goes away.
 * So the fix comes from GeoClue's demo client `where-am-i` (package geoclue-2-demo), which holds one
 * connection for the whole exchange. GeoClue also has to allow the client's desktop id
 * ("geoclue-where-am-i") in /etc/geoclue/geoclue.conf or through an agent, which headless boxes rarely do.
 */
import { access, constants } from 'node:fs/promises';
import type { LocationGetParams, LocationGetResult } from '@tether/protocol';
import { searchPath } from '../../exec-policy/resolve.js';
import { firstLine, runTool } from './run-tool.js';
import { failure, locationResult, type SourceOutcome } from './types.js';

export interface GeoclueOptions {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
}

const GEOCLUE_NAME = 'org.freedesktop.GeoClue2';
/** Where Debian, Fedora and Arch put the demo client (it is not on PATH). */
const WHERE_AM_I_PATHS = ['/usr/libexec/geoclue-2.0/demos/where-am-i', '/usr/lib/geoclue-2.0/demos/where-am-i'];
/** GeoClue accuracy levels: city, street, exact. */
const ACCURACY_LEVEL = { coarse: 4, balanced: 6, precise: 8 } as const;
const INSTALL_HINT = 'install geoclue-2.0 and geoclue-2-demo';

type Probe = { ok: true; whereAmI: string } | { ok: false; reason: string };

/** Whether GeoClue can be asked at all: gdbus, a system bus with GeoClue2 on it, and where-am-i. */
export async function probeGeoclue(options: GeoclueOptions, timeoutMs: number, signal: AbortSignal): Promise<Probe> {
  if (options.platform !== 'linux') return { ok: false, reason: `not available on ${options.platform}` };
  const pathValue = options.env.PATH ?? '';
  const gdbus = await searchPath('gdbus', pathValue);
  if (!gdbus) return { ok: false, reason: `gdbus not found (install libglib2.0-bin; ${INSTALL_HINT})` };
  const names = await runTool(gdbus, ['call', '--system', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus',
    '--method', 'org.freedesktop.DBus.ListActivatableNames'], { env: toolEnv(options.env), timeoutMs, signal });
  if (names.spawnError) return { ok: false, reason: `gdbus failed to start: ${names.spawnError}` };
  if (names.timedOut) return { ok: false, reason: `the system D-Bus did not answer within ${timeoutMs} ms` };
  if (names.code !== 0) return { ok: false, reason: `no system D-Bus (gdbus: ${firstLine(names.stderr) || `exit ${String(names.code)}`})` };
  if (!names.stdout.includes(`'${GEOCLUE_NAME}'`)) return { ok: false, reason: `${GEOCLUE_NAME} is not on the system bus (${INSTALL_HINT})` };
  const whereAmI = await findWhereAmI(pathValue);
  if (!whereAmI) {
    return { ok: false, reason: `GeoClue2 is installed but where-am-i is missing; gdbus alone cannot keep a GeoClue client alive (install geoclue-2-demo)` };
  }
  return { ok: true, whereAmI };
}

export async function readGeoclueFix(
  options: GeoclueOptions,
  request: { timeoutMs: number; desiredAccuracy?: LocationGetParams['desiredAccuracy']; signal: AbortSignal },
): Promise<SourceOutcome> {
  const started = Date.now();
  const probe = await probeGeoclue(options, Math.min(2_000, request.timeoutMs), request.signal);
  if (!probe.ok) return failure(request.signal.aborted ? 'cancelled' : 'unavailable', probe.reason);
  const timeoutMs = request.timeoutMs - (Date.now() - started);
  if (timeoutMs <= 0) return failure('timeout', `no time left for GeoClue within ${request.timeoutMs} ms`);
  const level = ACCURACY_LEVEL[request.desiredAccuracy ?? 'precise'];
  const run = await runTool(probe.whereAmI, ['-t', String(Math.max(1, Math.ceil(timeoutMs / 1000))), '-a', String(level)], {
    env: toolEnv(options.env),
    timeoutMs,
    signal: request.signal,
    stopWhen: (stdout) => /^Timestamp:.*\n/m.test(stdout),
  });
  if (run.cancelled) return failure('cancelled', 'cancelled');
  const location = parseWhereAmI(run.stdout);
  if (location) return { ok: true, location };
  if (run.spawnError) return failure('unavailable', `where-am-i failed to start: ${run.spawnError}`);
  const said = `${run.stdout}\n${run.stderr}`;
  if (/disabled|AccessDenied|not allowed|denied/i.test(said)) {
    return failure('permission', `GeoClue refused the request (${firstLine(run.stderr) || 'geolocation disabled'}); allow "geoclue-where-am-i" in /etc/geoclue/geoclue.conf`);
  }
  if (run.timedOut || run.code === 0) return failure('timeout', `no location from GeoClue within ${Math.round(timeoutMs)} ms`);
  return failure('unavailable', `where-am-i exited with ${String(run.code)}: ${firstLine(run.stderr) || 'no output'}`);
}

/** The first location block where-am-i printed, or undefined. */
export function parseWhereAmI(stdout: string, now = Date.now()): LocationGetResult | undefined {
  const field = (label: string): number | undefined => {
    const match = new RegExp(`^${label}:\\s*(-?[0-9]+(?:\\.[0-9]+)?)`, 'm').exec(stdout);
    const value = match ? Number(match[1]) : Number.NaN;
    return Number.isFinite(value) ? value : undefined;
  };
  const lat = field('Latitude');
  const lon = field('Longitude');
  const accuracyMeters = field('Accuracy');
  if (lat === undefined || lon === undefined || accuracyMeters === undefined) return undefined;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180 || accuracyMeters < 0) return undefined;
  const altitudeMeters = field('Altitude');
  const speedMps = field('Speed');
  const headingDeg = field('Heading');
  const epoch = /\((\d+) seconds since the Epoch\)/.exec(stdout);
  return locationResult({ lat, lon, accuracyMeters, altitudeMeters, speedMps, headingDeg, timestampMs: epoch ? Number(epoch[1]) * 1000 : now, source: 'geoclue' });
}

async function findWhereAmI(pathValue: string): Promise<string | undefined> {
  const onPath = await searchPath('where-am-i', pathValue);
  if (onPath) return onPath;
  for (const candidate of WHERE_AM_I_PATHS) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** The C locale, so numbers print with a decimal point whatever the owner's locale. */
function toolEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, LC_ALL: 'C', LANG: 'C' };
}

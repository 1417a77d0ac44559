/**
 * location.get. Sources in order, first fix wins: a fixed location from node-config.json, gpsd, GeoClue.
 * All share one deadline (the request's timeoutMs). When none answers, the error lists every source's
 * reason, so the owner sees what to install or configure.
 */
import {
  LOCATION_GET_DEFAULT_TIMEOUT_MS,
  LocationGetParamsSchema,
  createValidator,
  type LocationGetParams,
  type LocationGetResult,
} from '@tether/protocol';
import { NODE_CONFIG_FILE, type FixedLocation } from '../../node-config.js';
import { CommandError, CommandErrorCode, type CapabilityProvider, type Detection } from '../capability.js';
import { probeGeoclue, readGeoclueFix } from './geoclue.js';
import { probeTcp, readGpsdFix, type GpsdEndpoint } from './gpsd.js';
import { isPrecise, type SourceFailureKind, type SourceOutcome } from './types.js';

export const LocationErrorCode = {
  LOCATION_UNAVAILABLE: 'LOCATION_UNAVAILABLE',
  LOCATION_TIMEOUT: 'LOCATION_TIMEOUT',
  LOCATION_PERMISSION_REQUIRED: 'LOCATION_PERMISSION_REQUIRED',
} as const;

export interface LocationProviderSettings {
  fixed?: FixedLocation;
  /** Where gpsd listens; false turns gpsd off. Default 127.0.0.1:2947. */
  gpsd?: GpsdEndpoint | false;
  /** Default true. */
  geoclue?: boolean;
  /** PATH (for gdbus, where-am-i) and the tools' environment; default process.env. */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** The settings file named in messages; default "node-config.json". */
  configPath?: string;
}

/** A configured location without an accuracy is taken to be street-level. */
export const FIXED_DEFAULT_ACCURACY_METERS = 100;
/** detect() must not hold up the node's start. */
const PROBE_TIMEOUT_MS = 300;

const getParams = createValidator(LocationGetParamsSchema);

export function createLocationProvider(settings: LocationProviderSettings = {}): CapabilityProvider {
  const env = settings.env ?? process.env;
  const platform = settings.platform ?? process.platform;
  const configPath = settings.configPath ?? NODE_CONFIG_FILE;
  const gpsd = settings.gpsd === false ? undefined : (settings.gpsd ?? { host: '127.0.0.1', port: 2947 });
  const geoclueOn = settings.geoclue ?? true;
  const notConfigured = `not configured (set location.fixed in ${configPath})`;
  const gpsdHint = `install gpsd and a GPS receiver, or set location.gpsd in ${configPath}`;

  const detect = async (): Promise<Detection> => {
    if (settings.fixed) return { available: true, backend: 'fixed' };
    const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS * 2);
    const [gpsdProblem, geoclue] = await Promise.all([
      gpsd ? probeTcp(gpsd, PROBE_TIMEOUT_MS) : Promise.resolve(`disabled in ${configPath}`),
      geoclueOn ? probeGeoclue({ env, platform }, PROBE_TIMEOUT_MS, signal) : Promise.resolve({ ok: false as const, reason: `disabled in ${configPath}` }),
    ]);
    const backends = [gpsd && gpsdProblem === undefined ? `gpsd ${gpsd.host}:${gpsd.port}` : '', geoclue.ok ? 'geoclue' : ''].filter((b) => b !== '');
    if (backends.length > 0) return { available: true, backend: backends.join(', ') };
    return {
      available: false,
      reason: `no location source: fixed: ${notConfigured}; gpsd: ${gpsdProblem ?? 'unreachable'}; geoclue: ${geoclue.ok ? 'ok' : geoclue.reason}`,
      fix: `set location.fixed {"lat":…,"lon":…} in ${configPath}, or install gpsd with a GPS receiver, or install geoclue-2.0 and geoclue-2-demo`,
    };
  };

  const locate = async (p: LocationGetParams, signal: AbortSignal): Promise<LocationGetResult> => {
    if (settings.fixed) return fixedLocation(settings.fixed);
    const timeoutMs = p.timeoutMs ?? LOCATION_GET_DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const reasons: Record<string, string> = { fixed: notConfigured };
    const kinds: SourceFailureKind[] = [];
    const note = (source: string, outcome: SourceOutcome & { ok: false }, hint?: string): void => {
      kinds.push(outcome.kind);
      reasons[source] = outcome.kind === 'unavailable' && hint ? `${outcome.reason} (${hint})` : outcome.reason;
    };

    if (!gpsd) reasons.gpsd = `disabled in ${configPath}`;
    else {
      const outcome = await readGpsdFix(gpsd, { timeoutMs, signal, ...(p.maxAgeMs !== undefined ? { maxAgeMs: p.maxAgeMs } : {}) });
      if (outcome.ok) return outcome.location;
      note('gpsd', outcome, gpsdHint);
    }
    if (signal.aborted) throw cancelled();

    const remaining = deadline - Date.now();
    if (!geoclueOn) reasons.geoclue = `disabled in ${configPath} (location.geoclue)`;
    else if (remaining <= 0) reasons.geoclue = 'not tried (the timeout was used up)';
    else {
      const outcome = await readGeoclueFix({ env, platform }, { timeoutMs: remaining, signal, ...(p.desiredAccuracy ? { desiredAccuracy: p.desiredAccuracy } : {}) });
      if (outcome.ok) return outcome.location;
      note('geoclue', outcome);
    }
    if (signal.aborted) throw cancelled();

    const code = kinds.includes('timeout')
      ? LocationErrorCode.LOCATION_TIMEOUT
      : kinds.includes('permission')
        ? LocationErrorCode.LOCATION_PERMISSION_REQUIRED
        : LocationErrorCode.LOCATION_UNAVAILABLE;
    const listed = Object.entries(reasons).map(([source, reason]) => `${source}: ${reason}`).join('; ');
    const lead = code === LocationErrorCode.LOCATION_TIMEOUT ? `no location within ${timeoutMs} ms` : 'no location available';
    throw new CommandError(code, `${lead}: ${listed}`, { reasons });
  };

  return {
    family: 'location',
    commands: ['location.get'],
    detect,
    run: async (command, params, signal) => {
      if (command !== 'location.get') {
        throw new CommandError(CommandErrorCode.UNAVAILABLE, `command not supported: ${command}; the location provider handles location.get`);
      }
      const p = params ?? {}; // OpenClaw callers may send no params at all
      if (!getParams.check(p)) throw new CommandError(CommandErrorCode.INVALID_REQUEST, `invalid location.get params: ${getParams.lastError()}`);
      return locate(p, signal);
    },
  };
}

function fixedLocation(fixed: FixedLocation): LocationGetResult {
  const accuracyMeters = fixed.accuracyMeters ?? FIXED_DEFAULT_ACCURACY_METERS;
  return {
    lat: fixed.lat,
    lon: fixed.lon,
    accuracyMeters,
    ...(fixed.altitudeMeters !== undefined ? { altitudeMeters: fixed.altitudeMeters } : {}),
    timestamp: new Date().toISOString(),
    isPrecise: isPrecise(accuracyMeters),
    source: 'fixed',
  };
}

function cancelled(): CommandError {
  return new CommandError(CommandErrorCode.UNAVAILABLE, 'location.get was cancelled', { cancelled: true });
}

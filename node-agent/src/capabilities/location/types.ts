import type { LocationGetResult } from '@tether/protocol';

/** Why one source gave no location: the kinds decide the error code when every source fails. */
export type SourceFailureKind = 'unavailable' | 'timeout' | 'permission' | 'cancelled';

export type SourceOutcome = { ok: true; location: LocationGetResult } | { ok: false; kind: SourceFailureKind; reason: string };

/** At or below this accuracy a fix counts as precise (OpenClaw's "Precise" location). */
export const PRECISE_ACCURACY_METERS = 100;

export function isPrecise(accuracyMeters: number): boolean {
  return accuracyMeters <= PRECISE_ACCURACY_METERS;
}

export function failure(kind: SourceFailureKind, reason: string): SourceOutcome {
  return { ok: false, kind, reason };
}

export interface FixReading {
  lat: number;
  lon: number;
  accuracyMeters: number;
  altitudeMeters?: number;
  speedMps?: number;
  headingDeg?: number;
  timestampMs: number;
  source: string;
}

/** The wire result for one fix: optional readings only when present and plausible. */
export function locationResult(fix: FixReading): LocationGetResult {
  return {
    lat: fix.lat,
    lon: fix.lon,
    accuracyMeters: fix.accuracyMeters,
    ...(fix.altitudeMeters !== undefined ? { altitudeMeters: fix.altitudeMeters } : {}),
    ...(fix.speedMps !== undefined && fix.speedMps >= 0 ? { speedMps: fix.speedMps } : {}),
    ...(fix.headingDeg !== undefined && fix.headingDeg >= 0 && fix.headingDeg <= 360 ? { headingDeg: fix.headingDeg } : {}),
    timestamp: new Date(fix.timestampMs).toISOString(),
    isPrecise: isPrecise(fix.accuracyMeters),
    source: fix.source,
  };
}

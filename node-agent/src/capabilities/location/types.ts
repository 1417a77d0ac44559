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

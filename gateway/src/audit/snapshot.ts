/**
 * Reads the pairing store's file for the audit without opening a PairingStore (which would clean up
 * temp files and take part in locking): the audit must never change what it looks at.
 */
import { join } from 'node:path';
import { readJsonFile, type PairedDevice } from '@tether/pairing';
import type { AuditSnapshot } from './rules.js';

export function readAuditSnapshot(stateDir: string, nowMs = Date.now()): AuditSnapshot {
  let value: unknown;
  try {
    value = readJsonFile(join(stateDir, 'pairing', 'state.json'));
  } catch {
    return { paired: [], nowMs };
  }
  const paired = (value as { paired?: unknown } | null)?.paired;
  if (typeof paired !== 'object' || paired === null) return { paired: [], nowMs };
  const devices = Object.values(paired as Record<string, unknown>).filter(isPairedDevice);
  return { paired: devices, nowMs };
}

function isPairedDevice(value: unknown): value is PairedDevice {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Partial<PairedDevice>;
  return typeof d.deviceId === 'string' && Array.isArray(d.scopes) && typeof d.tokens === 'object' && d.tokens !== null;
}

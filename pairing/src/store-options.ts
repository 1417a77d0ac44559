/** The options of `PairingStore.open`, their defaults, and their validation. */
import { PENDING_PAIRING_TTL_MS } from '@tether/protocol';
import { DEFAULT_AUDIT_GENERATIONS, DEFAULT_AUDIT_MAX_BYTES, type AuditLogOptions } from './audit.js';
import { PairingStoreError } from './errors.js';
import type { ApprovedVia } from './types.js';
import { DEFAULT_UNKNOWN_DEVICE_LIMITS, type UnknownDeviceLimits } from './unknown-devices.js';

export interface PairingStoreOptions {
  stateDir: string;
  now?: () => number;
  pendingTtlMs?: number;
  /** How long a rejected device may not ask again. */
  rejectCooldownMs?: number;
  /** Unknown devices' requests held at once, all addresses together (default 256). */
  maxUnknownPending?: number;
  /** Unknown devices' requests held at once from one IPv4 address or IPv6 /64 (default 16). */
  maxUnknownPendingPerAddress?: number;
  /** audit.jsonl is rotated before an append would take it past this many bytes (default 1 MiB). */
  auditMaxBytes?: number;
  /** Rotated audit files kept, audit.jsonl.1 … .N (default 3). */
  auditGenerations?: number;
}

/** What is waiting for an owner, for the gateway to report and bound. */
export interface PendingCounts {
  /** Live requests of unknown devices (held in memory), all addresses. */
  unknownTotal: number;
  /** Of those, the ones from `addressBucket` (0 when no address was asked about). */
  unknownFromAddress: number;
  /** The bucket the asked-about address counts in: the IPv4 address, or the IPv6 /64. */
  addressBucket?: string;
  /** Live requests of paired devices (upgrades, repairs), kept in state.json. */
  durable: number;
  limits: UnknownDeviceLimits;
}

export type Readiness = { ok: true } | { ok: false; reason: string };

export interface AdmitOptions {
  autoApprove: boolean;
  /** Mint a token for a paired device that presents none (default true); see DecideInput. */
  issueIfMissing?: boolean;
}

export interface ApproveOptions {
  without?: readonly string[];
  via?: ApprovedVia;
}

/**
 * What a connect tells about a paired device. Not its display name: the name is the one the owner
 * approved, so a paired node cannot rename itself into another node's name (and its `--node NAME`).
 */
export interface SeenInfo {
  atMs: number;
  remoteIp?: string;
}

export const DEFAULT_REJECT_COOLDOWN_MS = 10 * 60_000;

/** The options with their defaults filled in. */
export interface StoreSettings {
  now: () => number;
  pendingTtlMs: number;
  rejectCooldownMs: number;
  limits: UnknownDeviceLimits;
  audit: Required<AuditLogOptions>;
}

/** Throws `INVALID_OPTIONS` naming the option: a zero cap would refuse every new device. */
export function resolveStoreOptions(options: PairingStoreOptions): StoreSettings {
  return {
    now: options.now ?? Date.now,
    pendingTtlMs: options.pendingTtlMs ?? PENDING_PAIRING_TTL_MS,
    rejectCooldownMs: options.rejectCooldownMs ?? DEFAULT_REJECT_COOLDOWN_MS,
    limits: {
      total: positiveInteger(options, 'maxUnknownPending', DEFAULT_UNKNOWN_DEVICE_LIMITS.total),
      perAddress: positiveInteger(options, 'maxUnknownPendingPerAddress', DEFAULT_UNKNOWN_DEVICE_LIMITS.perAddress),
    },
    audit: {
      maxBytes: positiveInteger(options, 'auditMaxBytes', DEFAULT_AUDIT_MAX_BYTES),
      generations: positiveInteger(options, 'auditGenerations', DEFAULT_AUDIT_GENERATIONS),
    },
  };
}

type LimitOption = 'maxUnknownPending' | 'maxUnknownPendingPerAddress' | 'auditMaxBytes' | 'auditGenerations';

function positiveInteger(options: PairingStoreOptions, name: LimitOption, fallback: number): number {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  throw new PairingStoreError(
    'INVALID_OPTIONS',
    `pairing store option ${name} must be a positive integer, got ${JSON.stringify(value)}; leave it out for the default (${fallback})`,
  );
}

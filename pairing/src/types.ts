/** Records of the pairing store. Token secrets never live here: only their SHA-256 hashes. */
import type { Role } from '@tether/protocol';

export type { Role };

/** What a device says about itself; kept on claims, pending requests and paired records alike. */
export interface DeviceMetadata {
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  clientId?: string;
  clientMode?: string;
  remoteIp?: string;
}

/** What a connecting device asks for, after its key proof has been verified. */
export interface DeviceClaim extends DeviceMetadata {
  deviceId: string;
  /** Raw Ed25519 key, base64url. */
  publicKey: string;
  role: Role;
  scopes: string[];
  commands: string[];
  caps: string[];
}

export type PendingReason = 'not-paired' | 'role-upgrade' | 'scope-upgrade' | 'surface-upgrade' | 'token-revoked';

export interface PendingRequest extends DeviceMetadata {
  requestId: string;
  deviceId: string;
  publicKey: string;
  role: Role;
  /** Every role the device will hold once approved (approved roles ∪ the requested one). */
  roles: Role[];
  scopes: string[];
  /** Commands the device declared in this request (the surface to approve). */
  commands: string[];
  caps: string[];
  reason: PendingReason;
  isRepair: boolean;
  silent: boolean;
  /** Created at. */
  ts: number;
  refreshedAtMs: number;
  expiresAtMs: number;
}

export interface TokenRecord {
  role: Role;
  scopes: string[];
  /** hex(sha256(token)). */
  hash: string;
  createdAtMs: number;
  rotatedAtMs?: number;
  revokedAtMs?: number;
  lastUsedAtMs?: number;
}

/** `bootstrap`: a node that redeemed a setup code's bootstrap token (bootstrap.ts). */
export type ApprovedVia = 'owner' | 'silent' | 'bootstrap';

export interface PairedDevice extends DeviceMetadata {
  deviceId: string;
  publicKey: string;
  roles: Role[];
  scopes: string[];
  /** Commands the device declared when last approved. */
  declaredCommands: string[];
  /** The approved command surface: what may be invoked on it. */
  approvedCommands: string[];
  caps: string[];
  approvedVia: ApprovedVia;
  tokens: Partial<Record<Role, TokenRecord>>;
  createdAtMs: number;
  approvedAtMs: number;
  lastSeenAtMs?: number;
  /** Set by `PairingStore.rename`: displayName is the owner's name, kept over the one the device declares. */
  renamedAtMs?: number;
}

/** A rejected request keeps its device out until `untilMs`, so a rejected node cannot re-ask every second. */
export interface Rejection {
  requestId: string;
  deviceId: string;
  atMs: number;
  untilMs: number;
}

export interface PairingState {
  version: 1;
  pending: Record<string, PendingRequest>;
  paired: Record<string, PairedDevice>;
  rejected: Record<string, Rejection>;
  /**
   * Devices an operator removed, until one is approved again: such a device is never re-paired
   * silently, or a loopback node would be back the second after its removal. (Absent in older files.)
   */
  removed?: Record<string, { deviceId: string; atMs: number }>;
  /** Setup codes' bootstrap tokens, by id (bootstrap.ts); hashes only. (Absent in older files.) */
  bootstrap?: Record<string, BootstrapRecord>;
}

/** One setup code's bootstrap token. The token itself is shown once, when the code is made. */
export interface BootstrapRecord {
  /** Public handle for list and revoke (not the token). */
  id: string;
  /** hex(sha256(token)). */
  hash: string;
  createdAtMs: number;
  expiresAtMs: number;
  /** The commands a node redeeming it is approved for (those it also declares); absent: all it declares. */
  commands?: string[];
  /** The name the paired node gets (else the one it reports). */
  name?: string;
  /** Who made it: an operator's device id, or "owner" (the shared token). */
  createdBy: string;
  revokedAtMs?: number;
  redeemedAtMs?: number;
  /** The first device that redeemed it; the token works for no other key afterwards. */
  redeemedBy?: { deviceId: string; publicKey: string };
}

/** The outcome of a connect, decided by `PairingStore.admit`. */
export type AdmissionDecision =
  | {
      kind: 'admitted';
      device: PairedDevice;
      /** A freshly minted device token (plaintext, shown once) when the device had none or a stale one. */
      issuedToken?: string;
      /** When the device declared commands beyond its approved surface: the re-approval request. */
      surfaceRequest?: PendingRequest;
    }
  | {
      kind: 'pending';
      request: PendingRequest;
      /** True when this call created the request (not a refresh of an existing one). */
      created: boolean;
      /** Requests this one replaced (same device, different grant). */
      superseded: PendingRequest[];
    }
  | { kind: 'rejected'; rejection: Rejection }
  | ThrottledDecision;

/** Which cap on unknown devices' requests was full. */
export type ThrottleLimit = 'per-address' | 'total';

/**
 * A new unknown device was not queued because too many unknown devices are waiting (from its address,
 * or in total); nothing was recorded. It may retry after `retryAfterMs`, when the first request of the
 * full bucket expires (at least 1 s).
 */
export interface ThrottledDecision {
  kind: 'throttled';
  limit: ThrottleLimit;
  retryAfterMs: number;
}

export interface AuditEntry {
  ts: number;
  action:
    | 'pair.requested'
    | 'pair.approved'
    | 'pair.rejected'
    | 'pair.superseded'
    | 'pair.expired'
    | 'device.removed'
    | 'device.renamed'
    | 'token.issued'
    | 'token.rotated'
    | 'token.revoked'
    | 'bootstrap.created'
    | 'bootstrap.redeemed'
    | 'bootstrap.refused'
    | 'bootstrap.revoked';
  deviceId: string;
  requestId?: string;
  role?: Role;
  approvedVia?: ApprovedVia;
  detail?: Record<string, unknown>;
}

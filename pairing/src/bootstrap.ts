/**
 * Setup codes' bootstrap tokens (OpenClaw's device bootstrap): 32 random bytes, base64url, shown once
 * and stored only as hex(sha256). Single use: the first device (id + public key) that redeems one is
 * paired as a node with the commands the code allows (those it also declares), with no operator step,
 * and the token is bound to that key; no other key can use it. It expires (default 10 min) and can be
 * revoked. Records live in state.json's `bootstrap` section, so they survive a restart, and every
 * creation, redemption, refusal and revocation is an audit line.
 *
 * Pure changes to a draft state; `PairingStore` runs them in its write queue (store.ts).
 */
import { randomBytes } from 'node:crypto';
import { own } from '@tether/protocol';
import { PairingStoreError } from './errors.js';
import { applyApproval, sortedUnique, unionRoles } from './grant.js';
import { hashToken, mintToken, tokenMatches } from './tokens.js';
import type { AuditEntry, BootstrapRecord, DeviceClaim, PairedDevice, PairingState, PendingRequest, TokenRecord } from './types.js';

/** OpenClaw's DEVICE_BOOTSTRAP_TOKEN_TTL_MS. */
export const DEFAULT_BOOTSTRAP_TTL_MS = 10 * 60_000;
/** A code may live at most a day: it is a credential anyone holding the text can use. */
export const MAX_BOOTSTRAP_TTL_MS = 24 * 60 * 60_000;
/** Codes live (not expired, redeemed or revoked) at once. */
export const MAX_LIVE_BOOTSTRAP_TOKENS = 64;
/**
 * How long a finished record (expired, redeemed or revoked) is kept after its expiry, so a late
 * attempt gets "expired", "used" or "revoked" instead of "unknown", and a node that redeemed it can
 * reconnect with it again before it stored its device token.
 */
export const BOOTSTRAP_RECORD_KEEP_MS = 7 * 24 * 60 * 60_000;

export type BootstrapStatus = 'active' | 'expired' | 'redeemed' | 'revoked';

/** Why a redemption was refused: each has its own wire code (gateway handshake). */
export type BootstrapRefusal = 'unknown' | 'expired' | 'revoked' | 'used' | 'role';

export interface CreateBootstrapOptions {
  ttlMs?: number;
  /** Allowed commands; absent: whatever the redeeming node declares. */
  commands?: readonly string[];
  name?: string;
  createdBy: string;
}

/** A record as shown to operators: no hash, and only the id of the device that redeemed it. */
export type BootstrapInfo = Omit<BootstrapRecord, 'hash' | 'redeemedBy'> & { status: BootstrapStatus; redeemedBy?: string };

export function bootstrapStatus(record: BootstrapRecord, now: number): BootstrapStatus {
  if (record.revokedAtMs !== undefined) return 'revoked';
  if (record.redeemedBy !== undefined) return 'redeemed';
  return record.expiresAtMs <= now ? 'expired' : 'active';
}

export function toBootstrapInfo(record: BootstrapRecord, now: number): BootstrapInfo {
  const info: BootstrapInfo = {
    id: record.id,
    status: bootstrapStatus(record, now),
    createdAtMs: record.createdAtMs,
    expiresAtMs: record.expiresAtMs,
    createdBy: record.createdBy,
  };
  if (record.commands !== undefined) info.commands = [...record.commands];
  if (record.name !== undefined) info.name = record.name;
  if (record.revokedAtMs !== undefined) info.revokedAtMs = record.revokedAtMs;
  if (record.redeemedAtMs !== undefined) info.redeemedAtMs = record.redeemedAtMs;
  if (record.redeemedBy !== undefined) info.redeemedBy = record.redeemedBy.deviceId;
  return info;
}

export function resolveBootstrapTtl(ttlMs: number | undefined): number {
  if (ttlMs === undefined) return DEFAULT_BOOTSTRAP_TTL_MS;
  if (Number.isSafeInteger(ttlMs) && ttlMs >= 1_000 && ttlMs <= MAX_BOOTSTRAP_TTL_MS) return ttlMs;
  throw new PairingStoreError('INVALID_GRANT', `a setup code lives from 1 s to 24 h; got ${JSON.stringify(ttlMs)} ms — pass a ttl in that range (default 10 min)`);
}

/** Drops records finished long enough ago (see BOOTSTRAP_RECORD_KEEP_MS). */
export function pruneBootstrap(draft: PairingState, now: number): void {
  if (!draft.bootstrap) return;
  for (const [id, record] of Object.entries(draft.bootstrap)) {
    if (record.expiresAtMs + BOOTSTRAP_RECORD_KEEP_MS <= now) delete draft.bootstrap[id];
  }
}

export function createBootstrap(draft: PairingState, options: CreateBootstrapOptions, now: number): { token: string; record: BootstrapRecord; audit: AuditEntry } {
  const ttlMs = resolveBootstrapTtl(options.ttlMs);
  pruneBootstrap(draft, now);
  const records = (draft.bootstrap ??= {});
  const live = Object.values(records).filter((record) => bootstrapStatus(record, now) === 'active').length;
  if (live >= MAX_LIVE_BOOTSTRAP_TOKENS) {
    throw new PairingStoreError(
      'TOO_MANY_SETUP_CODES',
      `${live} setup codes are live already (at most ${MAX_LIVE_BOOTSTRAP_TOKENS}); revoke unused ones (tether devices setup-code list, then revoke <id>) or wait for them to expire`,
    );
  }
  const token = mintToken();
  let id = newBootstrapId();
  while (own(records, id)) id = newBootstrapId();
  const record: BootstrapRecord = { id, hash: hashToken(token), createdAtMs: now, expiresAtMs: now + ttlMs, createdBy: options.createdBy };
  if (options.commands !== undefined) record.commands = sortedUnique(options.commands);
  if (options.name !== undefined) record.name = options.name;
  records[id] = record;
  const audit: AuditEntry = {
    ts: now,
    action: 'bootstrap.created',
    deviceId: options.createdBy,
    detail: { bootstrapId: id, expiresAtMs: record.expiresAtMs, commands: record.commands ?? 'declared', ...(record.name !== undefined && { name: record.name }) },
  };
  return { token, record, audit };
}

export function revokeBootstrap(draft: PairingState, id: string, by: string, now: number): { record: BootstrapRecord; audit: AuditEntry[] } {
  const record = draft.bootstrap ? own(draft.bootstrap, id) : undefined;
  if (!record) {
    throw new PairingStoreError('UNKNOWN_SETUP_CODE', `no setup code ${id}; run \`tether devices setup-code list\` to see the codes (finished ones are forgotten after 7 days)`);
  }
  if (record.revokedAtMs !== undefined) return { record, audit: [] };
  const revoked: BootstrapRecord = { ...record, revokedAtMs: now };
  draft.bootstrap![id] = revoked;
  const wasStatus = bootstrapStatus(record, now);
  return { record: revoked, audit: [{ ts: now, action: 'bootstrap.revoked', deviceId: by, detail: { bootstrapId: id, was: wasStatus } }] };
}

/** Finds the record whose hash the presented token has. Constant time per record. */
export function findBootstrap(state: PairingState, token: string): BootstrapRecord | undefined {
  let found: BootstrapRecord | undefined;
  for (const record of Object.values(state.bootstrap ?? {})) {
    if (tokenMatches(token, record.hash)) found = record;
  }
  return found;
}

export type RedeemResult =
  | { kind: 'redeemed'; record: BootstrapRecord; device: PairedDevice; issuedToken: string; withheld: string[] }
  /** The same key redeemed it before and is still paired: admit it as any paired device (idempotent). */
  | { kind: 'repeat'; record: BootstrapRecord }
  | { kind: 'refused'; reason: BootstrapRefusal; record?: BootstrapRecord };

/**
 * Redeems `token` for a verified claim. Refusals change nothing (the caller audits them); a first
 * redemption pairs the device as a node with `allowed ∩ declared`, issues its node token and binds
 * the record to its key.
 */
export function redeemBootstrap(
  draft: PairingState,
  claim: DeviceClaim,
  token: string,
  now: number,
  mint: () => string = mintToken,
): { result: RedeemResult; audit: AuditEntry[] } {
  const record = findBootstrap(draft, token);
  const refused = (reason: BootstrapRefusal) => ({
    result: { kind: 'refused' as const, reason, ...(record && { record }) },
    audit: [refusalAudit(claim, reason, record, now)],
  });
  if (!record) return refused('unknown');
  if (record.revokedAtMs !== undefined) return refused('revoked');
  if (record.redeemedBy !== undefined) {
    const same = record.redeemedBy.deviceId === claim.deviceId && record.redeemedBy.publicKey === claim.publicKey;
    const paired = own(draft.paired, claim.deviceId);
    // Removed since: the code does not bring a device back that the owner took away.
    if (same && paired?.roles.includes('node') && claim.role === 'node') {
      return { result: { kind: 'repeat', record }, audit: [{ ts: now, action: 'bootstrap.redeemed', deviceId: claim.deviceId, detail: { bootstrapId: record.id, repeat: true } }] };
    }
    return refused('used');
  }
  if (record.expiresAtMs <= now) return refused('expired');
  if (claim.role !== 'node') return refused('role');

  const declared = sortedUnique(claim.commands);
  const withheld = record.commands === undefined ? [] : declared.filter((command) => !record.commands!.includes(command));
  const previous = own(draft.paired, claim.deviceId);
  // A different key under the same id cannot happen (the id is the key's hash), but a paired record
  // with another key must never be taken over by a code.
  if (previous && previous.publicKey !== claim.publicKey) return refused('used');
  const request: PendingRequest = {
    requestId: `bootstrap:${record.id}`,
    deviceId: claim.deviceId,
    publicKey: claim.publicKey,
    role: 'node',
    roles: unionRoles(previous?.roles ?? [], ['node']),
    scopes: [],
    commands: declared,
    caps: sortedUnique(claim.caps),
    displayName: record.name ?? claim.displayName,
    platform: claim.platform,
    deviceFamily: claim.deviceFamily,
    clientId: claim.clientId,
    clientMode: claim.clientMode,
    remoteIp: claim.remoteIp,
    reason: previous ? 'surface-upgrade' : 'not-paired',
    isRepair: previous !== undefined,
    silent: false,
    ts: now,
    refreshedAtMs: now,
    expiresAtMs: now,
  };
  const { device: approved, audit: approval } = applyApproval(draft, request, { without: withheld, via: 'bootstrap', now });
  const issuedToken = mint();
  const tokenRecord: TokenRecord = {
    role: 'node',
    scopes: [],
    hash: hashToken(issuedToken),
    createdAtMs: previous?.tokens.node?.createdAtMs ?? now,
    ...(previous?.tokens.node && { rotatedAtMs: now }),
  };
  const device: PairedDevice = { ...approved, tokens: { ...approved.tokens, node: tokenRecord } };
  draft.paired[device.deviceId] = device;
  // Requests this device had waiting for the node role are answered by the code.
  for (const pending of Object.values(draft.pending)) {
    if (pending.deviceId === claim.deviceId && pending.role === 'node') delete draft.pending[pending.requestId];
  }
  const redeemed: BootstrapRecord = { ...record, redeemedAtMs: now, redeemedBy: { deviceId: claim.deviceId, publicKey: claim.publicKey } };
  draft.bootstrap![record.id] = redeemed;
  const audit: AuditEntry[] = [
    {
      ts: now,
      action: 'bootstrap.redeemed',
      deviceId: claim.deviceId,
      detail: { bootstrapId: record.id, approvedCommands: device.approvedCommands, withheld, ...(claim.remoteIp !== undefined && { remoteIp: claim.remoteIp }) },
    },
    approval,
    { ts: now, action: 'token.issued', deviceId: claim.deviceId, role: 'node', detail: { reason: 'bootstrap' } },
  ];
  return { result: { kind: 'redeemed', record: redeemed, device, issuedToken, withheld }, audit };
}

function refusalAudit(claim: DeviceClaim, reason: BootstrapRefusal, record: BootstrapRecord | undefined, now: number): AuditEntry {
  return {
    ts: now,
    action: 'bootstrap.refused',
    deviceId: claim.deviceId,
    role: claim.role,
    detail: { reason, ...(record && { bootstrapId: record.id }), ...(claim.remoteIp !== undefined && { remoteIp: claim.remoteIp }) },
  };
}

function newBootstrapId(): string {
  return `sc_${randomBytes(6).toString('hex')}`;
}

/**
 * The admission decision for a device whose key proof has already been verified: a pure function from
 * (state, claim, presented token, clock) to a decision plus the next state, so every branch can be
 * table-tested without files. The input state is never mutated; changed records are replaced.
 *
 * The key proof is authoritative: a paired device with a missing or stale token is admitted and handed a
 * fresh one, instead of OpenClaw's endless "device token mismatch".
 *
 * `state.pending` holds both kinds of request: unknown devices' (kept in memory by the store, capped,
 * never durable: see unknown-devices.ts) and paired devices' (durable).
 */
import { randomUUID } from 'node:crypto';
import { applyApproval, requestAuditEntry, sameGrant, sortedUnique, unionRoles } from './grant.js';
import { hashToken, mintToken, tokenMatches } from './tokens.js';
import { DEFAULT_UNKNOWN_DEVICE_LIMITS, isHeldInMemory, throttleUnknownDevice, type UnknownDeviceLimits } from './unknown-devices.js';
import type {
  AdmissionDecision,
  AuditEntry,
  DeviceClaim,
  PairedDevice,
  PairingState,
  PendingReason,
  PendingRequest,
  Role,
  TokenRecord,
} from './types.js';
import { own } from '@tether/protocol';

export interface DecideInput {
  state: PairingState;
  claim: DeviceClaim;
  presentedToken: string | undefined;
  /** The caller trusts this connection enough to approve without an owner (e.g. loopback). */
  autoApprove: boolean;
  /**
   * Whether a paired device that presents no token gets a fresh one. False for clients that log in
   * with the shared token and never keep a device token (stock OpenClaw node hosts): minting for them
   * would cost a state write per connect and invalidate nothing useful.
   */
  issueIfMissing?: boolean;
  now: number;
  pendingTtlMs: number;
  /** Caps on unknown devices' requests; DEFAULT_UNKNOWN_DEVICE_LIMITS when absent. */
  limits?: UnknownDeviceLimits;
}

/** The random parts, injectable so tests can pin them. */
export interface DecideDeps {
  mintToken(): string;
  newRequestId(): string;
}

/**
 * Changes to durable records that may stay in memory for a while; they are included in `Decided.state`
 * as well. (Unknown devices' requests never reach the disk: their changes are only in `Decided.state`.)
 */
export type EphemeralChange =
  | { kind: 'token-used'; deviceId: string; role: Role; hash: string; atMs: number }
  | { kind: 'pending-refreshed'; request: PendingRequest };

export interface Decided {
  decision: AdmissionDecision;
  state: PairingState;
  /**
   * True when `state` differs from the input in a way that must reach the disk before acting on it.
   * Changes to requests held in memory (`isHeldInMemory`) never set it.
   */
  durable: boolean;
  ephemeral: EphemeralChange[];
  audit: AuditEntry[];
}

const DEFAULT_DEPS: DecideDeps = { mintToken, newRequestId: randomUUID };

/** Reasons an autoApprove connection may have approved silently; widening scopes or un-revoking never is. */
const SILENT_REASONS: ReadonlySet<PendingReason> = new Set(['not-paired', 'role-upgrade', 'surface-upgrade']);

interface Context {
  input: DecideInput;
  deps: DecideDeps;
  draft: PairingState;
  durable: boolean;
  ephemeral: EphemeralChange[];
  audit: AuditEntry[];
}

export function decide(input: DecideInput, deps: DecideDeps = DEFAULT_DEPS): Decided {
  const ctx: Context = {
    input,
    deps,
    draft: { version: 1, pending: {}, paired: { ...input.state.paired }, rejected: {}, removed: { ...input.state.removed } },
    durable: false,
    ephemeral: [],
    audit: [],
  };
  prune(ctx);
  const decision = admitClaim(ctx);
  return { decision, state: ctx.draft, durable: ctx.durable, ephemeral: ctx.ephemeral, audit: ctx.audit };
}

function prune(ctx: Context): void {
  const { state, now } = ctx.input;
  for (const [deviceId, rejection] of Object.entries(state.rejected)) {
    if (now < rejection.untilMs) ctx.draft.rejected[deviceId] = rejection;
    else ctx.durable = true;
  }
  for (const [requestId, request] of Object.entries(state.pending)) {
    if (isHeldInMemory(request)) {
      // Never on disk, so gone without a trace: expired, or its device was paired meanwhile (its
      // approval raced a retry that recreated it).
      if (request.expiresAtMs > now && !own(ctx.draft.paired, request.deviceId)) ctx.draft.pending[requestId] = request;
      continue;
    }
    if (request.expiresAtMs > now) {
      ctx.draft.pending[requestId] = request;
      continue;
    }
    ctx.durable = true;
    ctx.audit.push({ ts: now, action: 'pair.expired', deviceId: request.deviceId, requestId, role: request.role });
  }
}

function admitClaim(ctx: Context): AdmissionDecision {
  const { claim } = ctx.input;
  const paired = own(ctx.draft.paired, claim.deviceId);
  if (!paired) return requestGrant(ctx, 'not-paired');
  // Scopes first: a role upgrade that also widens scopes must not slip through as a silent one.
  if (claim.scopes.some((scope) => !paired.scopes.includes(scope))) return requestGrant(ctx, 'scope-upgrade');
  if (!paired.roles.includes(claim.role)) return requestGrant(ctx, 'role-upgrade');
  if (paired.tokens[claim.role]?.revokedAtMs !== undefined) return requestGrant(ctx, 'token-revoked');
  return admitPaired(ctx, paired);
}

/** The device needs a new grant: pending, silently approved, or refused while a rejection lasts. */
function requestGrant(ctx: Context, reason: PendingReason): AdmissionDecision {
  const rejection = own(ctx.draft.rejected, ctx.input.claim.deviceId);
  if (rejection) return { kind: 'rejected', rejection };
  const silent = ctx.input.autoApprove && SILENT_REASONS.has(reason) && !own(ctx.draft.removed, ctx.input.claim.deviceId);
  // A silent pairing queues nothing, so only a queued unknown device can be throttled.
  if (reason === 'not-paired' && !silent) {
    const throttled = throttleNewUnknownDevice(ctx);
    if (throttled) return throttled;
  }
  const { request, created, superseded } = upsertPending(ctx, reason, silent);
  if (!silent) return { kind: 'pending', request, created, superseded };
  return admitPaired(ctx, approveSilently(ctx, request, []));
}

/** A device that already holds a request may always refresh or replace it: it keeps its one slot. */
function throttleNewUnknownDevice(ctx: Context): AdmissionDecision | undefined {
  const { claim, now } = ctx.input;
  const pending = Object.values(ctx.draft.pending);
  if (pending.some((request) => request.deviceId === claim.deviceId)) return undefined;
  const held = pending.filter(isHeldInMemory);
  return throttleUnknownDevice(held, claim.remoteIp, ctx.input.limits ?? DEFAULT_UNKNOWN_DEVICE_LIMITS, now);
}

function admitPaired(ctx: Context, paired: PairedDevice): AdmissionDecision {
  const { claim, autoApprove } = ctx.input;
  const { device, issuedToken } = settleToken(ctx, paired);
  const admitted = (current: PairedDevice, surfaceRequest?: PendingRequest): AdmissionDecision => ({
    kind: 'admitted',
    device: current,
    ...(issuedToken !== undefined && { issuedToken }),
    ...(surfaceRequest && { surfaceRequest }),
  });
  // Commands are a node's surface: an operator claim's are never asked for (an approval would not take them).
  const extra = claim.role === 'node' ? claim.commands.filter((command) => !device.declaredCommands.includes(command)) : [];
  // A rejected surface request keeps the approved surface working, but is not asked again until the cooldown ends.
  if (extra.length === 0 || own(ctx.draft.rejected, device.deviceId)) return admitted(device);
  if (!autoApprove) return admitted(device, upsertPending(ctx, 'surface-upgrade', false).request);
  // Commands the owner left out before stay out: only the new ones are approved silently.
  const excluded = device.declaredCommands.filter((c) => !device.approvedCommands.includes(c) && claim.commands.includes(c));
  const request = upsertPending(ctx, 'surface-upgrade', true).request;
  return admitted(approveSilently(ctx, request, excluded));
}

function settleToken(ctx: Context, device: PairedDevice): { device: PairedDevice; issuedToken?: string } {
  const { claim, now, presentedToken } = ctx.input;
  const record = device.tokens[claim.role];
  if (record && presentedToken !== undefined && tokenMatches(presentedToken, record.hash)) {
    const used = replaceToken(ctx, device, { ...record, lastUsedAtMs: now });
    ctx.ephemeral.push({ kind: 'token-used', deviceId: device.deviceId, role: claim.role, hash: record.hash, atMs: now });
    return { device: used };
  }
  // No token presented while a valid one exists: the key proof admits the device; a new token is
  // minted only for clients that keep one (a Tether node that lost its token file gets a new one).
  if (record && presentedToken === undefined && ctx.input.issueIfMissing === false) return { device };
  const issuedToken = ctx.deps.mintToken();
  const fresh: TokenRecord = {
    role: claim.role,
    scopes: sortedUnique(claim.scopes),
    hash: hashToken(issuedToken),
    createdAtMs: record?.createdAtMs ?? now,
    ...(record && { rotatedAtMs: now }),
  };
  ctx.durable = true;
  ctx.audit.push({
    ts: now,
    action: 'token.issued',
    deviceId: device.deviceId,
    role: claim.role,
    detail: { reason: !record ? 'first' : 'mismatch' },
  });
  return { device: replaceToken(ctx, device, fresh), issuedToken };
}

function replaceToken(ctx: Context, device: PairedDevice, record: TokenRecord): PairedDevice {
  const next = { ...device, tokens: { ...device.tokens, [record.role]: record } };
  ctx.draft.paired[device.deviceId] = next;
  return next;
}

function approveSilently(ctx: Context, request: PendingRequest, without: string[]): PairedDevice {
  const { device, audit } = applyApproval(ctx.draft, request, { without, via: 'silent', now: ctx.input.now });
  ctx.durable = true;
  // An unknown device's request was held in memory, unaudited: the approval records it.
  if (isHeldInMemory(request)) ctx.audit.push(requestAuditEntry(request));
  ctx.audit.push(audit);
  return device;
}

/** One pending request per device: the same grant keeps its id (the one the owner copied), another supersedes it. */
function upsertPending(
  ctx: Context,
  reason: PendingReason,
  silent: boolean,
): { request: PendingRequest; created: boolean; superseded: PendingRequest[] } {
  const { claim, now, pendingTtlMs } = ctx.input;
  const paired = own(ctx.draft.paired, claim.deviceId);
  const fields = {
    deviceId: claim.deviceId,
    publicKey: claim.publicKey,
    role: claim.role,
    roles: unionRoles(paired?.roles ?? [], [claim.role]),
    scopes: sortedUnique(claim.scopes),
    commands: sortedUnique(claim.commands),
    caps: sortedUnique(claim.caps),
    displayName: claim.displayName,
    platform: claim.platform,
    deviceFamily: claim.deviceFamily,
    clientId: claim.clientId,
    clientMode: claim.clientMode,
    remoteIp: claim.remoteIp,
    reason,
    isRepair: paired !== undefined,
    silent,
  };
  const existing = Object.values(ctx.draft.pending).filter((request) => request.deviceId === claim.deviceId);
  const same = existing.find((request) => sameGrant(request, fields));
  const superseded = existing.filter((request) => request !== same);
  const requestId = same?.requestId ?? ctx.deps.newRequestId();
  for (const old of superseded) {
    delete ctx.draft.pending[old.requestId];
    if (isHeldInMemory(old)) continue;
    ctx.durable = true;
    ctx.audit.push({ ts: now, action: 'pair.superseded', deviceId: old.deviceId, requestId: old.requestId, role: old.role, detail: { by: requestId } });
  }
  const request: PendingRequest = { ...fields, requestId, ts: same?.ts ?? now, refreshedAtMs: now, expiresAtMs: now + pendingTtlMs };
  ctx.draft.pending[requestId] = request;
  // An unknown device's request is in memory only: no write, no audit line (see unknown-devices.ts).
  if (!isHeldInMemory(request) && same) ctx.ephemeral.push({ kind: 'pending-refreshed', request });
  if (!isHeldInMemory(request) && !same) {
    ctx.durable = true;
    ctx.audit.push(requestAuditEntry(request));
  }
  return { request, created: !same, superseded };
}

/**
 * `PairingStore`: pending requests, paired devices, per-role tokens and the approved command surface.
 * The gateway is the only process that opens it (see state-file.ts); the CLI goes through the gateway.
 *
 * Reads are synchronous and served from memory. Hot paths write nothing: a paired device reconnecting
 * with a valid token, a node retrying an unchanged pending request, and last-seen times stay in memory
 * and reach the disk in batches. Unknown devices' requests never reach it at all until an owner acts on
 * one (unknown-devices.ts). Every other change is queued, applied, written atomically and audited.
 */
import { own, type Role } from '@tether/protocol';
import { addressBucket } from './address-bucket.js';
import {
  createBootstrap,
  pruneBootstrap,
  redeemBootstrap,
  revokeBootstrap,
  toBootstrapInfo,
  type BootstrapInfo,
  type BootstrapRefusal,
  type CreateBootstrapOptions,
} from './bootstrap.js';
import { probeWritable } from './atomic-file.js';
import { AuditLog } from './audit.js';
import { decide, type EphemeralChange } from './decide.js';
import { PairingStoreError } from './errors.js';
import { applyApproval, requestAuditEntry, sortedUnique } from './grant.js';
import { HeldRequests } from './held-requests.js';
import { StateFile } from './state-file.js';
import {
  resolveStoreOptions,
  type AdmitOptions,
  type ApproveOptions,
  type PairingStoreOptions,
  type PendingCounts,
  type Readiness,
  type SeenInfo,
  type StoreSettings,
} from './store-options.js';
import { hashToken, mintToken, tokenMatches } from './tokens.js';
import { grantOwnerLogin, type OwnerLogin } from './owner-login.js';
import { isHeldInMemory } from './unknown-devices.js';
import type {
  AdmissionDecision,
  AuditEntry,
  BootstrapRecord,
  DeviceClaim,
  PairedDevice,
  PairingState,
  PendingRequest,
  TokenRecord,
} from './types.js';

/** Nodes retry every second while pending; their refreshes reach the disk at most this often. */
const PENDING_PERSIST_INTERVAL_MS = 15_000;
const FLUSH_INTERVAL_MS = 30_000;

export class PairingStore {
  private lastPersistAtMs: number;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly held = new HeldRequests();

  private constructor(
    private readonly file: StateFile,
    private readonly audit: AuditLog,
    private readonly settings: StoreSettings,
  ) {
    this.lastPersistAtMs = settings.now();
    // A failed batch keeps its changes queued in memory; the next flush or mutation retries them.
    this.flushTimer = setInterval(() => void this.flush().catch(() => undefined), FLUSH_INTERVAL_MS);
    this.flushTimer.unref();
    this.adoptLegacyUnknownRequests();
  }

  /** Throws `INVALID_OPTIONS` for a bad limit, `STORE_CORRUPT` for a damaged state file. */
  static async open(options: PairingStoreOptions): Promise<PairingStore> {
    const settings = resolveStoreOptions(options);
    const file = StateFile.open(options.stateDir);
    const audit = new AuditLog(file.dir, settings.audit);
    audit.repairTornTail();
    return new PairingStore(file, audit, settings);
  }

  get stateFile(): string {
    return this.file.path;
  }

  get auditFile(): string {
    return this.audit.path;
  }

  // Reads return the store's own records: treat them as read-only.

  listPending(): PendingRequest[] {
    const now = this.settings.now();
    return [...this.durablePending(now), ...this.liveHeld(now)].sort((a, b) => a.ts - b.ts);
  }

  listPaired(): PairedDevice[] {
    return Object.values(this.file.state.paired).sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  getPaired(deviceId: string): PairedDevice | undefined {
    return own(this.file.state.paired, deviceId);
  }

  getPending(requestId: string): PendingRequest | undefined {
    return livePendingIn(this.file.state, this.held, requestId, this.settings.now());
  }

  pendingForDevice(deviceId: string): PendingRequest | undefined {
    return this.listPending().find((request) => request.deviceId === deviceId);
  }

  /** Counts of waiting requests and the caps on unknown devices'; `remoteIp` adds its address's count. */
  pendingCounts(remoteIp?: string): PendingCounts {
    const now = this.settings.now();
    const held = this.held.counts(now, remoteIp);
    return {
      unknownTotal: held.total,
      unknownFromAddress: held.fromAddress,
      ...(remoteIp !== undefined && { addressBucket: addressBucket(remoteIp) }),
      durable: this.durablePending(now).length,
      limits: { ...this.settings.limits },
    };
  }

  /**
   * For a readiness probe: the state is in memory (it was read and validated at open), and the pairing
   * directory takes a write now (write, fsync and delete a probe file, as an atomic write would).
   */
  async checkReady(): Promise<Readiness> {
    try {
      await probeWritable(this.file.dir);
      return { ok: true };
    } catch (error) {
      return {
        ok: false,
        reason: `the pairing store cannot write to ${this.file.dir} (${(error as Error).message}); pairing decisions would fail — check the free space and permissions of that directory`,
      };
    }
  }

  /**
   * Decides a verified device's connect. Writes only when the decision changed something durable; an
   * unknown device's request is kept in memory, or refused as `throttled` when its caps are full.
   */
  async admit(claim: DeviceClaim, presentedToken: string | undefined, options: AdmitOptions): Promise<AdmissionDecision> {
    const input = (state: PairingState, now: number) => ({
      state: this.withHeld(state),
      claim,
      presentedToken,
      autoApprove: options.autoApprove,
      issueIfMissing: options.issueIfMissing ?? true,
      now,
      pendingTtlMs: this.settings.pendingTtlMs,
      limits: this.settings.limits,
    });
    const now = this.settings.now();
    const quick = decide(input(this.file.state, now));
    if (!quick.durable) {
      this.held.replaceFrom(quick.state.pending);
      for (const change of quick.ephemeral) this.keepInMemory(change);
      const refreshed = quick.ephemeral.some((change) => change.kind === 'pending-refreshed');
      if (refreshed && now - this.lastPersistAtMs >= PENDING_PERSIST_INTERVAL_MS) await this.flush();
      return quick.decision;
    }
    // Decide again in the write queue: an earlier queued change may have changed the state meanwhile.
    // Held requests change at once (a failed write loses nothing of theirs that a retry cannot redo).
    return this.mutate((draft, at) => {
      const decided = decide(input(draft, at));
      this.held.replaceFrom(decided.state.pending);
      Object.assign(draft, decided.state, { pending: durableOnly(decided.state.pending) });
      return { result: decided.decision, audit: decided.audit };
    });
  }

  /** An unknown device's request is written only now: the paired device, and its audit lines. */
  async approve(requestId: string, options: ApproveOptions = {}): Promise<{ request: PendingRequest; device: PairedDevice }> {
    return this.mutate((draft, now) => {
      const request = livePending(draft, this.held, requestId, now);
      const { device, audit } = applyApproval(draft, request, { without: options.without, via: options.via ?? 'owner', now });
      const onWritten = () => this.held.delete(this.held.idsOfDevice(request.deviceId));
      return { result: { request, device }, audit: [...this.deferredAudit(request), audit], onWritten };
    });
  }

  async reject(requestId: string): Promise<PendingRequest> {
    return this.mutate((draft, now) => {
      const request = livePending(draft, this.held, requestId, now);
      delete draft.pending[requestId];
      draft.rejected[request.deviceId] = { requestId, deviceId: request.deviceId, atMs: now, untilMs: now + this.settings.rejectCooldownMs };
      const entry: AuditEntry = { ts: now, action: 'pair.rejected', deviceId: request.deviceId, requestId, role: request.role };
      return { result: request, audit: [...this.deferredAudit(request), entry], onWritten: () => this.held.delete([requestId]) };
    });
  }

  async remove(deviceId: string): Promise<PairedDevice> {
    return this.mutate((draft, now) => {
      const device = pairedDevice(draft, deviceId);
      delete draft.paired[deviceId];
      draft.removed = { ...draft.removed, [deviceId]: { deviceId, atMs: now } };
      const dropped = Object.values(draft.pending).filter((request) => request.deviceId === deviceId);
      for (const request of dropped) delete draft.pending[request.requestId];
      const held = this.held.idsOfDevice(deviceId);
      const detail = { droppedRequests: [...dropped.map((request) => request.requestId), ...held] };
      return { result: device, audit: [{ ts: now, action: 'device.removed', deviceId, detail }], onWritten: () => this.held.delete(held) };
    });
  }

  /**
   * The owner's name for a paired device (already checked with `checkDisplayName`). It stays the
   * device's name: later approvals keep it over the name the device declares (grant.ts).
   */
  async rename(deviceId: string, displayName: string): Promise<{ device: PairedDevice; previous?: string }> {
    return this.mutate((draft, now) => {
      const device = pairedDevice(draft, deviceId);
      const renamed: PairedDevice = { ...device, displayName, renamedAtMs: now };
      draft.paired[deviceId] = renamed;
      const detail = { from: device.displayName ?? null, to: displayName };
      return { result: { device: renamed, ...(device.displayName !== undefined && { previous: device.displayName }) }, audit: [{ ts: now, action: 'device.renamed', deviceId, detail }] };
    });
  }

  /** Mints a new token for a role the device holds; the old one stops working at once. */
  async rotateToken(deviceId: string, role: Role, scopes?: readonly string[]): Promise<{ token: string; record: TokenRecord }> {
    return this.mutate((draft, now) => {
      const device = deviceWithRole(draft, deviceId, role);
      const previous = device.tokens[role];
      const granted = sortedUnique(scopes ?? previous?.scopes ?? device.scopes);
      const beyond = granted.filter((scope) => !device.scopes.includes(scope));
      if (beyond.length > 0) {
        throw new PairingStoreError(
          'INVALID_GRANT',
          `device ${deviceId} is not approved for ${beyond.join(', ')} (approved: ${device.scopes.join(', ') || 'none'}); rotate with approved scopes only`,
        );
      }
      const token = mintToken();
      const record: TokenRecord = {
        role,
        scopes: granted,
        hash: hashToken(token),
        createdAtMs: previous?.createdAtMs ?? now,
        ...(previous && { rotatedAtMs: now }),
      };
      draft.paired[deviceId] = { ...device, tokens: { ...device.tokens, [role]: record } };
      return { result: { token, record }, audit: [{ ts: now, action: 'token.rotated', deviceId, role }] };
    });
  }

  /** The device keeps its pairing but must be re-approved (a token-revoked repair) before it is admitted again. */
  async revokeToken(deviceId: string, role: Role): Promise<TokenRecord> {
    return this.mutate((draft, now) => {
      const device = deviceWithRole(draft, deviceId, role);
      // No token yet: record an unusable revoked one anyway, or the next connect would simply mint one.
      const previous = device.tokens[role] ?? { role, scopes: [], hash: hashToken(mintToken()), createdAtMs: now };
      const record: TokenRecord = { ...previous, revokedAtMs: now };
      draft.paired[deviceId] = { ...device, tokens: { ...device.tokens, [role]: record } };
      return { result: record, audit: [{ ts: now, action: 'token.revoked', deviceId, role }] };
    });
  }

  /**
   * Whether `token` is this device's current, unrevoked token for `role`: for credentials outside the
   * WebSocket handshake (media uploads over HTTP). Constant-time; no state change.
   */
  verifyToken(deviceId: string, role: Role, token: string): boolean {
    const record = this.getPaired(deviceId)?.tokens[role];
    return record !== undefined && record.revokedAtMs === undefined && tokenMatches(token, record.hash);
  }

  /** Pairs a browser key as the owner's login approved it (owner-login.ts): one write, no queued request. */
  async pairOwnerLogin(claim: DeviceClaim): Promise<OwnerLogin> {
    return this.mutate((draft, now) => {
      const { result, audit } = grantOwnerLogin(draft, claim, now);
      return { result, audit, onWritten: () => this.held.delete(this.held.idsOfDevice(claim.deviceId)) };
    });
  }

  /** Makes a setup code's bootstrap token: the token is returned once and stored only as a hash. */
  async createBootstrap(options: CreateBootstrapOptions): Promise<{ token: string; record: BootstrapRecord }> {
    return this.mutate((draft, now) => {
      const { token, record, audit } = createBootstrap(draft, options, now);
      return { result: { token, record }, audit: [audit] };
    });
  }

  /** Every remembered code, newest first (finished ones are kept for a week after their expiry). */
  listBootstrap(): BootstrapInfo[] {
    const now = this.settings.now();
    return Object.values(this.file.state.bootstrap ?? {})
      .map((record) => toBootstrapInfo(record, now))
      .sort((a, b) => b.createdAtMs - a.createdAtMs);
  }

  /** Revoking twice is not an error; revoking a redeemed code keeps the device paired (remove it to unpair). */
  async revokeBootstrap(id: string, by: string): Promise<BootstrapRecord> {
    return this.mutate((draft, now) => {
      pruneBootstrap(draft, now);
      const { record, audit } = revokeBootstrap(draft, id, by, now);
      return { result: record, audit };
    });
  }

  /**
   * Redeems a bootstrap token for a verified claim. A first redemption pairs the device as a node with
   * the code's commands and returns its new node token; the same key again (a reconnect before it
   * stored that token) is admitted as the paired device it is; anything else is refused, and audited.
   */
  async redeemBootstrap(
    claim: DeviceClaim,
    token: string,
  ): Promise<
    | { kind: 'admitted'; decision: AdmissionDecision & { kind: 'admitted' }; record: BootstrapRecord; withheld: string[]; repeat: boolean }
    | { kind: 'refused'; reason: BootstrapRefusal; record?: BootstrapInfo }
    | { kind: 'other'; decision: AdmissionDecision }
  > {
    const outcome = await this.mutate((draft, now) => {
      const { result, audit } = redeemBootstrap(draft, claim, token, now);
      const onWritten = result.kind === 'redeemed' ? () => this.held.delete(this.held.idsOfDevice(claim.deviceId)) : undefined;
      return { result, audit, onWritten };
    });
    if (outcome.kind === 'refused') {
      return { kind: 'refused', reason: outcome.reason, ...(outcome.record && { record: toBootstrapInfo(outcome.record, this.settings.now()) }) };
    }
    if (outcome.kind === 'redeemed') {
      return {
        kind: 'admitted',
        decision: { kind: 'admitted', device: outcome.device, issuedToken: outcome.issuedToken },
        record: outcome.record,
        withheld: outcome.withheld,
        repeat: false,
      };
    }
    // The same key again: it is a paired node now, admitted (and handed a fresh token) on its key proof.
    const decision = await this.admit(claim, undefined, { autoApprove: false, issueIfMissing: true });
    if (decision.kind !== 'admitted') return { kind: 'other', decision };
    return { kind: 'admitted', decision, record: outcome.record, withheld: [], repeat: true };
  }

  /** In memory; written with the next batch (every 30 s, `flush()` or any other write). */
  recordSeen(deviceId: string, seen: SeenInfo): void {
    this.file.touch(`seen:${deviceId}`, (state) => {
      const device = own(state.paired, deviceId);
      if (!device || (device.lastSeenAtMs ?? 0) > seen.atMs) return;
      state.paired[deviceId] = {
        ...device,
        lastSeenAtMs: seen.atMs,
        ...(seen.remoteIp !== undefined && { remoteIp: seen.remoteIp }),
      };
    });
  }

  async flush(): Promise<void> {
    if (!this.file.hasTouches) return;
    await this.file.update(() => undefined);
    this.lastPersistAtMs = this.settings.now();
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flush();
  }

  private liveHeld(now: number): PendingRequest[] {
    return this.held.live(now).filter((request) => !own(this.file.state.paired, request.deviceId));
  }

  private durablePending(now: number): PendingRequest[] {
    return Object.values(this.file.state.pending).filter((request) => request.expiresAtMs > now);
  }

  /** The state `decide` sees: the durable one plus the unknown devices' requests held in memory. */
  private withHeld(state: PairingState): PairingState {
    return { ...state, pending: { ...state.pending, ...this.held.asRecord() } };
  }

  /** A held request was never audited; approving or rejecting it records it first, at its own time. */
  private deferredAudit(request: PendingRequest): AuditEntry[] {
    return isHeldInMemory(request) ? [requestAuditEntry(request)] : [];
  }

  /**
   * Earlier versions wrote unknown devices' requests to state.json. They are held in memory from now
   * on, and leave the file with its next write (the touch makes the next flush write).
   */
  private adoptLegacyUnknownRequests(): void {
    const legacy = Object.values(this.file.state.pending).filter(isHeldInMemory);
    if (legacy.length === 0) return;
    for (const request of legacy) this.held.add(request);
    this.file.touch('legacy-unknown-requests', (state) => {
      for (const request of legacy) delete state.pending[request.requestId];
    });
  }

  private keepInMemory(change: EphemeralChange): void {
    if (change.kind === 'pending-refreshed') {
      const { request } = change;
      this.file.touch(`pending:${request.requestId}`, (state) => {
        // Gone means a write in flight approved, rejected or replaced it: nothing to refresh.
        if (own(state.pending, request.requestId)) state.pending[request.requestId] = request;
      });
      return;
    }
    const { deviceId, role, hash, atMs } = change;
    this.file.touch(`token:${deviceId}:${role}`, (state) => {
      const device = own(state.paired, deviceId);
      const record = device?.tokens[role];
      // Only the token that was used: a rotation in flight must not inherit its use time.
      if (!device || !record || record.hash !== hash || (record.lastUsedAtMs ?? 0) >= atMs) return;
      state.paired[deviceId] = { ...device, tokens: { ...device.tokens, [role]: { ...record, lastUsedAtMs: atMs } } };
    });
  }

  /** `onWritten` runs once the change is on disk: held requests leave memory only when their outcome is durable. */
  private async mutate<T>(
    change: (draft: PairingState, now: number) => { result: T; audit: AuditEntry[]; onWritten?: () => void },
  ): Promise<T> {
    const { result, audit, onWritten } = await this.file.update((draft) => change(draft, this.settings.now()));
    onWritten?.();
    this.lastPersistAtMs = this.settings.now();
    await this.audit.append(audit);
    return result;
  }
}

function durableOnly(pending: Record<string, PendingRequest>): Record<string, PendingRequest> {
  return Object.fromEntries(Object.entries(pending).filter(([, request]) => !isHeldInMemory(request)));
}

function livePendingIn(state: PairingState, held: HeldRequests, requestId: string, now: number): PendingRequest | undefined {
  const request = own(state.pending, requestId);
  if (request) return request.expiresAtMs > now ? request : undefined;
  const unknown = held.get(requestId, now);
  // Its device was paired since (a retry raced the approval): the request is moot, `decide` drops it.
  return unknown && !own(state.paired, unknown.deviceId) ? unknown : undefined;
}

function livePending(state: PairingState, held: HeldRequests, requestId: string, now: number): PendingRequest {
  const request = livePendingIn(state, held, requestId, now);
  if (request) return request;
  throw new PairingStoreError(
    'UNKNOWN_REQUEST_ID',
    `no pending request ${requestId}; it may have expired or been approved or rejected already — run \`tether devices list\``,
  );
}

function pairedDevice(state: PairingState, deviceId: string): PairedDevice {
  const device = own(state.paired, deviceId);
  if (device) return device;
  throw new PairingStoreError('UNKNOWN_DEVICE', `no paired device ${deviceId} — run \`tether devices list\` to see the paired devices`);
}

function deviceWithRole(state: PairingState, deviceId: string, role: Role): PairedDevice {
  const device = pairedDevice(state, deviceId);
  if (device.roles.includes(role)) return device;
  throw new PairingStoreError(
    'UNKNOWN_ROLE',
    `device ${deviceId} does not hold the ${role} role (it holds: ${device.roles.join(', ')}); use one of those, or approve a ${role} request from it first`,
  );
}

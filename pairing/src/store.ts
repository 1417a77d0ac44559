/**
 * `PairingStore`: pending requests, paired devices, per-role tokens and the approved command surface,
 * shared by the gateway and the CLI through one state file.
 *
 * Reads are synchronous and served from memory. Hot paths write nothing: a paired device reconnecting
 * with a valid token, a node retrying an unchanged pending request, and last-seen times stay in memory
 * and reach the disk in batches. Every other change is locked, re-read, applied, written atomically and
 * audited.
 */
import { PENDING_PAIRING_TTL_MS, type Role } from '@tether/protocol';
import { AuditLog } from './audit.js';
import { decide, type EphemeralChange } from './decide.js';
import { PairingStoreError } from './errors.js';
import { applyApproval, sortedUnique } from './grant.js';
import { StateFile } from './state-file.js';
import { hashToken, mintToken, tokenMatches } from './tokens.js';
import type {
  AdmissionDecision,
  ApprovedVia,
  AuditEntry,
  DeviceClaim,
  PairedDevice,
  PairingState,
  PendingRequest,
  TokenRecord,
} from './types.js';

export interface PairingStoreOptions {
  stateDir: string;
  now?: () => number;
  pendingTtlMs?: number;
  /** How long a rejected device may not ask again. */
  rejectCooldownMs?: number;
}

export interface AdmitOptions {
  autoApprove: boolean;
  /** Mint a token for a paired device that presents none (default true); see DecideInput. */
  issueIfMissing?: boolean;
}

export interface ApproveOptions {
  without?: readonly string[];
  via?: ApprovedVia;
}

export interface SeenInfo {
  atMs: number;
  remoteIp?: string;
  displayName?: string;
}

const DEFAULT_REJECT_COOLDOWN_MS = 10 * 60_000;
/** Nodes retry every second while pending; their refreshes reach the disk at most this often. */
const PENDING_PERSIST_INTERVAL_MS = 15_000;
const FLUSH_INTERVAL_MS = 30_000;

export class PairingStore {
  private lastPersistAtMs: number;
  private readonly flushTimer: NodeJS.Timeout;

  private constructor(
    private readonly file: StateFile,
    private readonly audit: AuditLog,
    private readonly now: () => number,
    private readonly pendingTtlMs: number,
    private readonly rejectCooldownMs: number,
  ) {
    this.lastPersistAtMs = now();
    // A failed batch keeps its changes queued in memory; the next flush or mutation retries them.
    this.flushTimer = setInterval(() => void this.flush().catch(() => undefined), FLUSH_INTERVAL_MS);
    this.flushTimer.unref();
  }

  static async open(options: PairingStoreOptions): Promise<PairingStore> {
    const file = StateFile.open(options.stateDir);
    return new PairingStore(
      file,
      new AuditLog(file.dir),
      options.now ?? Date.now,
      options.pendingTtlMs ?? PENDING_PAIRING_TTL_MS,
      options.rejectCooldownMs ?? DEFAULT_REJECT_COOLDOWN_MS,
    );
  }

  get stateFile(): string {
    return this.file.path;
  }

  get auditFile(): string {
    return this.audit.path;
  }

  // Reads return the store's own records: treat them as read-only.

  listPending(): PendingRequest[] {
    const now = this.now();
    return Object.values(this.read().pending)
      .filter((request) => request.expiresAtMs > now)
      .sort((a, b) => a.ts - b.ts);
  }

  listPaired(): PairedDevice[] {
    return Object.values(this.read().paired).sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  getPaired(deviceId: string): PairedDevice | undefined {
    return this.read().paired[deviceId];
  }

  getPending(requestId: string): PendingRequest | undefined {
    const request = this.read().pending[requestId];
    return request && request.expiresAtMs > this.now() ? request : undefined;
  }

  pendingForDevice(deviceId: string): PendingRequest | undefined {
    return this.listPending().find((request) => request.deviceId === deviceId);
  }

  /** Decides a verified device's connect. Writes only when the decision changed something durable. */
  async admit(claim: DeviceClaim, presentedToken: string | undefined, options: AdmitOptions): Promise<AdmissionDecision> {
    const input = (state: PairingState, now: number) => ({
      state,
      claim,
      presentedToken,
      autoApprove: options.autoApprove,
      issueIfMissing: options.issueIfMissing ?? true,
      now,
      pendingTtlMs: this.pendingTtlMs,
    });
    const now = this.now();
    const quick = decide(input(this.read(), now));
    if (!quick.durable) {
      for (const change of quick.ephemeral) this.keepInMemory(change);
      const refreshed = quick.ephemeral.some((change) => change.kind === 'pending-refreshed');
      if (refreshed && now - this.lastPersistAtMs >= PENDING_PERSIST_INTERVAL_MS) await this.flush();
      return quick.decision;
    }
    // Decide again on the locked, freshly read state: another process may have changed it meanwhile.
    return this.mutate((draft, at) => {
      const decided = decide(input(draft, at));
      Object.assign(draft, decided.state);
      return { result: decided.decision, audit: decided.audit };
    });
  }

  async approve(requestId: string, options: ApproveOptions = {}): Promise<{ request: PendingRequest; device: PairedDevice }> {
    return this.mutate((draft, now) => {
      const request = livePending(draft, requestId, now);
      const { device, audit } = applyApproval(draft, request, { without: options.without, via: options.via ?? 'owner', now });
      return { result: { request, device }, audit: [audit] };
    });
  }

  async reject(requestId: string): Promise<PendingRequest> {
    return this.mutate((draft, now) => {
      const request = livePending(draft, requestId, now);
      delete draft.pending[requestId];
      draft.rejected[request.deviceId] = { requestId, deviceId: request.deviceId, atMs: now, untilMs: now + this.rejectCooldownMs };
      const entry: AuditEntry = { ts: now, action: 'pair.rejected', deviceId: request.deviceId, requestId, role: request.role };
      return { result: request, audit: [entry] };
    });
  }

  async remove(deviceId: string): Promise<PairedDevice> {
    return this.mutate((draft, now) => {
      const device = pairedDevice(draft, deviceId);
      delete draft.paired[deviceId];
      draft.removed = { ...draft.removed, [deviceId]: { deviceId, atMs: now } };
      const dropped = Object.values(draft.pending).filter((request) => request.deviceId === deviceId);
      for (const request of dropped) delete draft.pending[request.requestId];
      const detail = { droppedRequests: dropped.map((request) => request.requestId) };
      return { result: device, audit: [{ ts: now, action: 'device.removed', deviceId, detail }] };
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

  /** In memory; written with the next batch (every 30 s, `flush()` or any other write). */
  /**
   * Whether `token` is this device's current, unrevoked token for `role`: for credentials outside the
   * WebSocket handshake (media uploads over HTTP). Constant-time; no state change.
   */
  verifyToken(deviceId: string, role: Role, token: string): boolean {
    const record = this.getPaired(deviceId)?.tokens[role];
    return record !== undefined && record.revokedAtMs === undefined && tokenMatches(token, record.hash);
  }

  recordSeen(deviceId: string, seen: SeenInfo): void {
    this.file.touch(`seen:${deviceId}`, (state) => {
      const device = state.paired[deviceId];
      if (!device || (device.lastSeenAtMs ?? 0) > seen.atMs) return;
      state.paired[deviceId] = {
        ...device,
        lastSeenAtMs: seen.atMs,
        ...(seen.remoteIp !== undefined && { remoteIp: seen.remoteIp }),
        ...(seen.displayName !== undefined && { displayName: seen.displayName }),
      };
    });
  }

  async flush(): Promise<void> {
    if (!this.file.hasTouches) return;
    await this.file.withLock(() => undefined);
    this.lastPersistAtMs = this.now();
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flush();
  }

  private read(): PairingState {
    this.file.refreshIfChanged();
    return this.file.state;
  }

  private keepInMemory(change: EphemeralChange): void {
    if (change.kind === 'pending-refreshed') {
      const { request } = change;
      this.file.touch(`pending:${request.requestId}`, (state) => {
        // Gone means another process approved, rejected or replaced it: nothing to refresh.
        if (state.pending[request.requestId]) state.pending[request.requestId] = request;
      });
      return;
    }
    const { deviceId, role, hash, atMs } = change;
    this.file.touch(`token:${deviceId}:${role}`, (state) => {
      const device = state.paired[deviceId];
      const record = device?.tokens[role];
      // Only the token that was used: a rotation by another process must not inherit its use time.
      if (!device || !record || record.hash !== hash || (record.lastUsedAtMs ?? 0) >= atMs) return;
      state.paired[deviceId] = { ...device, tokens: { ...device.tokens, [role]: { ...record, lastUsedAtMs: atMs } } };
    });
  }

  private async mutate<T>(change: (draft: PairingState, now: number) => { result: T; audit: AuditEntry[] }): Promise<T> {
    const { result, audit } = await this.file.withLock((draft) => change(draft, this.now()));
    this.lastPersistAtMs = this.now();
    await this.audit.append(audit);
    return result;
  }
}

function livePending(state: PairingState, requestId: string, now: number): PendingRequest {
  const request = state.pending[requestId];
  if (request && request.expiresAtMs > now) return request;
  throw new PairingStoreError(
    'UNKNOWN_REQUEST_ID',
    `no pending request ${requestId}; it may have expired or been approved or rejected already — run \`tether devices list\``,
  );
}

function pairedDevice(state: PairingState, deviceId: string): PairedDevice {
  const device = state.paired[deviceId];
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

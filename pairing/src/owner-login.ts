/**
 * A login the owner approved by its credential (the Control UI's one-time link or the gateway token):
 * the browser's key is paired as an operator holding exactly the scopes granted, with a fresh token,
 * in ONE change. It never queues a request (so no throttle and no window in which another operator
 * could reject it) and never passes through "removed" (so a failed write leaves the browser as it was).
 *
 * Only a key that is new, or already a pure Control UI device, may be paired this way: a login must
 * not turn a node's or another operator client's pairing into a browser's (security review of the
 * Control UI login, finding 1).
 */
import { PairingStoreError } from './errors.js';
import { sortedUnique } from './grant.js';
import { hashToken, mintToken } from './tokens.js';
import type { AuditEntry, DeviceClaim, PairedDevice, PairingState } from './types.js';
import { own } from '@tether/protocol';

export interface OwnerLogin {
  device: PairedDevice;
  token: string;
  /** Scopes the device held before that this login took away (its old sessions must end). */
  narrowed: boolean;
}

export function grantOwnerLogin(draft: PairingState, claim: DeviceClaim, now: number): { result: OwnerLogin; audit: AuditEntry[] } {
  const previous = own(draft.paired, claim.deviceId);
  if (previous && (previous.roles.length !== 1 || previous.roles[0] !== 'operator' || previous.clientId !== claim.clientId)) {
    throw new PairingStoreError(
      'KEY_IN_USE',
      `the key of device ${claim.deviceId} already belongs to a ${previous.roles.join(' and ')} (${previous.clientId ?? 'unknown client'}), not to a Control UI; a login cannot take it over`,
    );
  }
  const scopes = sortedUnique(claim.scopes);
  const token = mintToken();
  const device: PairedDevice = {
    deviceId: claim.deviceId,
    publicKey: claim.publicKey,
    roles: ['operator'],
    scopes,
    declaredCommands: [],
    approvedCommands: [],
    caps: [],
    // A name the owner gave (device.rename) wins over the one the login declares.
    displayName: previous?.renamedAtMs !== undefined ? previous.displayName : claim.displayName,
    ...(previous?.renamedAtMs !== undefined && { renamedAtMs: previous.renamedAtMs }),
    platform: claim.platform,
    clientId: claim.clientId,
    clientMode: claim.clientMode,
    remoteIp: claim.remoteIp ?? previous?.remoteIp,
    approvedVia: 'owner',
    tokens: { operator: { role: 'operator', scopes, hash: hashToken(token), createdAtMs: previous?.tokens.operator?.createdAtMs ?? now, ...(previous && { rotatedAtMs: now }) } },
    createdAtMs: previous?.createdAtMs ?? now,
    approvedAtMs: now,
    lastSeenAtMs: previous?.lastSeenAtMs,
  };
  draft.paired[device.deviceId] = device;
  for (const [requestId, request] of Object.entries(draft.pending)) if (request.deviceId === device.deviceId) delete draft.pending[requestId];
  delete draft.rejected[device.deviceId];
  if (draft.removed) delete draft.removed[device.deviceId];
  const narrowed = previous !== undefined && previous.scopes.some((scope) => !scopes.includes(scope));
  return {
    result: { device, token, narrowed },
    audit: [
      { ts: now, action: 'pair.approved', deviceId: device.deviceId, role: 'operator', approvedVia: 'owner', detail: { reason: 'owner-login', scopes } },
      { ts: now, action: previous ? 'token.rotated' : 'token.issued', deviceId: device.deviceId, role: 'operator' },
    ],
  };
}

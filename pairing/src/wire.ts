/** Store records as the `device.pair.list` wire shapes. Token hashes never leave the store. */
import type { PairedDeviceInfo, PendingRequestInfo, TokenInfo } from '@tether/protocol';
import type { PairedDevice, PendingRequest, TokenRecord } from './types.js';

export function toPendingInfo(request: PendingRequest, verificationCode?: string): PendingRequestInfo {
  return definedOnly({
    requestId: request.requestId,
    deviceId: request.deviceId,
    publicKey: request.publicKey,
    displayName: request.displayName,
    platform: request.platform,
    deviceFamily: request.deviceFamily,
    clientId: request.clientId,
    clientMode: request.clientMode,
    role: request.role,
    roles: [...request.roles],
    scopes: [...request.scopes],
    commands: [...request.commands],
    caps: [...request.caps],
    remoteIp: request.remoteIp,
    isRepair: request.isRepair,
    silent: request.silent,
    reason: request.reason,
    verificationCode,
    ts: request.ts,
    expiresAtMs: request.expiresAtMs,
  });
}

export function toPairedInfo(device: PairedDevice, connected?: boolean): PairedDeviceInfo {
  const [role] = device.roles;
  // The store never writes a device without a role, and refuses to load one.
  if (role === undefined) throw new Error(`paired device ${device.deviceId} has no role`);
  return definedOnly({
    deviceId: device.deviceId,
    publicKey: device.publicKey,
    displayName: device.displayName,
    platform: device.platform,
    deviceFamily: device.deviceFamily,
    clientId: device.clientId,
    clientMode: device.clientMode,
    role,
    roles: [...device.roles],
    scopes: [...device.scopes],
    commands: [...device.approvedCommands],
    declaredCommands: [...device.declaredCommands],
    remoteIp: device.remoteIp,
    approvedVia: device.approvedVia,
    tokens: Object.values(device.tokens)
      .filter((record): record is TokenRecord => record !== undefined)
      .map(toTokenInfo),
    createdAtMs: device.createdAtMs,
    approvedAtMs: device.approvedAtMs,
    lastSeenAtMs: device.lastSeenAtMs,
    renamedAtMs: device.renamedAtMs,
    connected,
  });
}

function toTokenInfo(record: TokenRecord): TokenInfo {
  return definedOnly({
    role: record.role,
    scopes: [...record.scopes],
    createdAtMs: record.createdAtMs,
    rotatedAtMs: record.rotatedAtMs,
    revokedAtMs: record.revokedAtMs,
    lastUsedAtMs: record.lastUsedAtMs,
  });
}

/** JSON drops undefined keys anyway; dropping them here lets in-process consumers see exactly the wire object. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

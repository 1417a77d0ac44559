/**
 * A Control UI login pairs the browser's own device identity as an operator. The page sends only its
 * Ed25519 public key; the gateway derives the device id, and the owner's credential that came with it
 * (a one-time login code, or the shared token typed once into the page) is the approval. The page
 * then connects like any paired operator device: a signed challenge plus its device token, with the
 * scopes this login granted. It never holds the shared token, and the owner can see, rename and revoke
 * each browser in the device list.
 *
 * No proof of possession is asked here: pairing a public key whose private key one does not hold
 * gains nothing, because every connect must be signed with it.
 */
import { CloseCode, deriveDeviceId, rawPublicKeyFrom, safeLabel } from '@tether/protocol';
import type { DeviceClaim, PairedDevice } from '@tether/pairing';
import type { GatewayContext } from '../context.js';
import { callStore } from '../methods/device.js';
import { HttpError } from './respond.js';

/** The name and platform a browser device is listed under; the page names nothing itself. */
export const UI_DEVICE_NAME = 'Control UI';
export const UI_CLIENT = { id: 'tether-control-ui', mode: 'ui', platform: 'web' } as const;

export interface UiDeviceLogin {
  deviceId: string;
  deviceToken: string;
  scopes: string[];
}

function claimFor(publicKey: Buffer, scopes: readonly string[], remoteIp: string | undefined): DeviceClaim {
  return {
    deviceId: deriveDeviceId(publicKey),
    publicKey: publicKey.toString('base64url'),
    role: 'operator',
    scopes: [...scopes],
    commands: [],
    caps: [],
    displayName: UI_DEVICE_NAME,
    platform: UI_CLIENT.platform,
    clientId: UI_CLIENT.id,
    clientMode: UI_CLIENT.mode,
    ...(remoteIp !== undefined && { remoteIp }),
  };
}

/** The page's public key, checked before the login code is spent on it. */
export function parseUiPublicKey(publicKeyText: unknown): Buffer {
  // Raw keys only (43 base64url characters): PEM and other spellings the handshake accepts are not needed here.
  const publicKey = typeof publicKeyText === 'string' && /^[A-Za-z0-9_-]{43}$/.test(publicKeyText) ? rawPublicKeyFrom(publicKeyText) : undefined;
  if (!publicKey) throw new HttpError(400, 'INVALID_PUBLIC_KEY', "publicKey must be the browser identity's raw Ed25519 public key, base64url (43 characters); reload the page");
  return publicKey;
}

/** Approves exactly the request this claim raised, with the owner's authority, and says so. */
async function approveAsOwner(gateway: GatewayContext, requestId: string): Promise<PairedDevice> {
  const { device } = await callStore(() => gateway.store.approve(requestId, { via: 'owner' }));
  gateway.broadcaster.broadcast('device.pair.resolved', { requestId, deviceId: device.deviceId, decision: 'approved', ts: Date.now() }, { scope: 'operator.pairing' });
  return device;
}

/**
 * Pairs (or re-pairs) the browser key `publicKey` as an operator holding exactly `scopes`, and mints
 * its device token. A browser that already holds more than this login grants is re-paired with less:
 * otherwise a read-only link would leave it its old scopes.
 */
export async function pairUiDevice(gateway: GatewayContext, publicKey: Buffer, scopes: readonly string[], remoteIp: string | undefined): Promise<UiDeviceLogin> {
  const claim = claimFor(publicKey, scopes, remoteIp);
  const existing = gateway.store.getPaired(claim.deviceId);
  if (existing && existing.scopes.some((scope) => !scopes.includes(scope))) {
    await callStore(() => gateway.store.remove(claim.deviceId));
    gateway.disconnectDevice(claim.deviceId, CloseCode.CLIENT_INVALIDATED, 'client invalidated: logged in again with fewer scopes');
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    const decision = await gateway.store.admit(claim, undefined, { autoApprove: false, issueIfMissing: true });
    if (decision.kind === 'admitted') {
      if (decision.issuedToken === undefined) break;
      gateway.log.info(`the Control UI logged in as device ${claim.deviceId.slice(0, 12)} (${safeLabel(decision.device.displayName, 64)}) with ${scopes.join(', ')}`);
      return { deviceId: claim.deviceId, deviceToken: decision.issuedToken, scopes: [...scopes] };
    }
    if (decision.kind === 'pending') {
      await approveAsOwner(gateway, decision.request.requestId);
      continue;
    }
    if (decision.kind === 'rejected') {
      const seconds = Math.ceil(Math.max(0, decision.rejection.untilMs - Date.now()) / 1000);
      throw new HttpError(409, 'DEVICE_REJECTED', `this browser's pairing was rejected recently; it may log in again in ${seconds} s, or remove it from the device list first`);
    }
    throw new HttpError(503, 'PAIRING_THROTTLED', `too many devices are waiting for approval; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s, or clear requests in the Devices view`);
  }
  throw new HttpError(500, 'LOGIN_FAILED', 'the gateway could not pair this browser; retry with a new link (tether dashboard)');
}

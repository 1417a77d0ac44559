/**
 * A Control UI login pairs the browser's own device identity as an operator. The page sends its
 * Ed25519 public key and a signature, made with that key, over the credential it logs in with; the
 * gateway derives the device id, and the owner's credential (a one-time login code, or the shared
 * token typed once into the page) is the approval. The page then connects like any paired operator
 * device: a signed challenge plus its device token, with the scopes this login granted. It never holds
 * the shared token, and the owner can see, rename and revoke each browser in the device list.
 *
 * The signature proves the page holds the key: without it, anyone holding a code could name another
 * device's public key (device.pair.list shows them) and re-pair that device as theirs. The pairing
 * itself is one store write (pairing/src/owner-login.ts) that refuses keys of other kinds of devices.
 */
import { buildUiLoginPayload, UI_CLIENT, CloseCode, deriveDeviceId, publicKeyObjectFromRaw, rawPublicKeyFrom, safeLabel, verifyEd25519 } from '@tether/protocol';
import { PairingStoreError, type DeviceClaim } from '@tether/pairing';
import type { GatewayContext } from '../context.js';
import { HttpError } from './respond.js';


export interface UiDeviceLogin {
  deviceId: string;
  deviceToken: string;
  scopes: string[];
}

/** The page's public key and its signature over `credential`, checked before the code is spent on it. */
export function checkUiKey(publicKeyText: unknown, signature: unknown, credential: string): Buffer {
  // Raw keys only (43 base64url characters): PEM and other spellings the handshake accepts are not needed here.
  const publicKey = typeof publicKeyText === 'string' && /^[A-Za-z0-9_-]{43}$/.test(publicKeyText) ? rawPublicKeyFrom(publicKeyText) : undefined;
  if (!publicKey) throw new HttpError(400, 'INVALID_PUBLIC_KEY', "publicKey must be the browser identity's raw Ed25519 public key, base64url (43 characters); reload the page");
  let signed = false;
  if (typeof signature === 'string' && /^[A-Za-z0-9_-]{86}$/.test(signature)) {
    try {
      signed = verifyEd25519(publicKeyObjectFromRaw(publicKey), buildUiLoginPayload(publicKeyText as string, credential), signature);
    } catch {
      signed = false; // a 32-byte string that is not a point on the curve
    }
  }
  if (!signed) throw new HttpError(400, 'LOGIN_SIGNATURE_INVALID', 'the login must be signed with the key it pairs (signature over the code); reload the page and open a new link');
  return publicKey;
}

const STORE_STATUS: Partial<Record<string, { status: number; code: string }>> = {
  KEY_IN_USE: { status: 409, code: 'KEY_IN_USE' },
  STORE_UNWRITABLE: { status: 503, code: 'STORE_UNAVAILABLE' },
};

/** Pairs (or re-pairs) the browser key as an operator holding exactly `scopes`, and mints its device token. */
export async function pairUiDevice(gateway: GatewayContext, publicKey: Buffer, scopes: readonly string[], remoteIp: string | undefined): Promise<UiDeviceLogin> {
  const claim: DeviceClaim = {
    deviceId: deriveDeviceId(publicKey),
    publicKey: publicKey.toString('base64url'),
    role: 'operator',
    scopes: [...scopes],
    commands: [],
    caps: [],
    // The name and platform a browser device is listed under (protocol's UI_CLIENT); the page names nothing itself.
    displayName: UI_CLIENT.displayName,
    platform: UI_CLIENT.platform,
    clientId: UI_CLIENT.id,
    clientMode: UI_CLIENT.mode,
    ...(remoteIp !== undefined && { remoteIp }),
  };
  let login;
  try {
    login = await gateway.store.pairOwnerLogin(claim);
  } catch (error) {
    const mapped = error instanceof PairingStoreError ? STORE_STATUS[error.code] : undefined;
    if (mapped) throw new HttpError(mapped.status, mapped.code, (error as Error).message);
    throw error;
  }
  // Sessions on the old grant hold the old scopes: they end, and the browser's tabs connect again.
  gateway.disconnectDevice(claim.deviceId, CloseCode.CLIENT_INVALIDATED, 'client invalidated: this browser logged in again');
  gateway.broadcaster.broadcast('device.pair.resolved', { requestId: '', deviceId: claim.deviceId, decision: 'approved', ts: Date.now() }, { scope: 'operator.pairing' });
  gateway.log.info(`the Control UI logged in as device ${claim.deviceId.slice(0, 12)} (${safeLabel(login.device.displayName, 64)}) with ${scopes.join(', ')}`);
  return { deviceId: claim.deviceId, deviceToken: login.token, scopes: [...login.device.scopes] };
}

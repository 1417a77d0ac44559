/**
 * Device proof: verification, deviceId derivation and base64url helpers; the signed-payload builders
 * live in device-auth-payload.ts (no node:crypto there, so the Control UI's page uses them too).
 */
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { buildDeviceAuthPayloadV2, buildDeviceAuthPayloadV3, type DeviceAuthPayloadInput } from './device-auth-payload.js';

export { buildDeviceAuthPayloadV2, buildDeviceAuthPayloadV3, buildUiLoginPayload, normalizeMetadataField, signatureToken, type DeviceAuthPayloadInput } from './device-auth-payload.js';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function base64UrlEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** Accepts base64url or standard base64, with or without padding (peers differ). */
export function base64UrlDecode(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export function deriveDeviceId(rawPublicKey: Uint8Array): string {
  return createHash('sha256').update(rawPublicKey).digest('hex');
}

/**
 * Normalises a wire public key (base64url raw, standard base64 raw, or PEM) to its raw 32 bytes.
 * Returns undefined when it is not an Ed25519 key.
 */
export function rawPublicKeyFrom(publicKey: string): Buffer | undefined {
  const text = publicKey.trim();
  if (text.startsWith('-----BEGIN')) {
    try {
      const der = createPublicKey(text).export({ format: 'der', type: 'spki' });
      if (der.length !== 44 || !der.subarray(0, 12).equals(ED25519_SPKI_PREFIX)) return undefined;
      return der.subarray(12);
    } catch {
      return undefined;
    }
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const raw = base64UrlDecode(text);
  return raw.length === 32 ? raw : undefined;
}

export function publicKeyObjectFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}


export function verifyEd25519(publicKey: KeyObject, payload: string, signature: string): boolean {
  const sig = base64UrlDecode(signature);
  if (sig.length !== 64) return false;
  try {
    return cryptoVerify(null, Buffer.from(payload, 'utf8'), publicKey, sig);
  } catch {
    return false;
  }
}

/** Tries v3, then v2 (OpenClaw's order). Returns the version that verified, or undefined. */
export function verifyDeviceAuthSignature(
  publicKey: KeyObject,
  input: DeviceAuthPayloadInput,
  signature: string,
): 'v3' | 'v2' | undefined {
  if (verifyEd25519(publicKey, buildDeviceAuthPayloadV3(input), signature)) return 'v3';
  if (verifyEd25519(publicKey, buildDeviceAuthPayloadV2(input), signature)) return 'v2';
  return undefined;
}

/** What a client needs to prove a device: its id, wire public key, and a signer. */
export interface DeviceSigner {
  readonly deviceId: string;
  /** Raw 32-byte key, base64url without padding. */
  readonly publicKey: string;
  sign(payload: string): string;
}

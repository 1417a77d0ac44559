import { createPrivateKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  base64UrlDecode,
  buildDeviceAuthPayloadV2,
  buildDeviceAuthPayloadV3,
  deriveDeviceId,
  publicKeyObjectFromRaw,
  rawPublicKeyFrom,
  verifyDeviceAuthSignature,
} from './device-auth.js';

// Test vector from the OpenClaw protocol reference §2.3 (verified there by OpenClaw's own verifier).
const SEED = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const PUBLIC_KEY = 'A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg';
const DEVICE_ID = '56475aa75463474c0285df5dbf2bcab73da651358839e9b77481b2eab107708c';
const PAYLOAD =
  'v3|56475aa75463474c0285df5dbf2bcab73da651358839e9b77481b2eab107708c|node-host|node|node||1737264000000|tok123|6f1c2d3e-0000-4000-8000-000000000001|linux|linux';
const SIGNATURE = 'mlH4B2qA5LeIBi3ly6py-P_s_Lgj7nak5-yF5fh72S_2hvV9XAB4VkCYN6VhxN8bwvkOcFiYsnuMxUvJPPnrCg';

const input = {
  deviceId: DEVICE_ID,
  clientId: 'node-host',
  clientMode: 'node',
  role: 'node',
  scopes: [],
  signedAtMs: 1737264000000,
  token: 'tok123',
  nonce: '6f1c2d3e-0000-4000-8000-000000000001',
  platform: 'Linux',
  deviceFamily: 'Linux',
};

function privateKeyFromSeed(seed: Buffer) {
  // PKCS#8 wrapper for a raw Ed25519 seed.
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

describe('device auth known answers', () => {
  it('derives the device id from the raw public key', () => {
    const raw = rawPublicKeyFrom(PUBLIC_KEY);
    expect(raw).toBeDefined();
    expect(deriveDeviceId(raw!)).toBe(DEVICE_ID);
  });

  it('builds the exact v3 payload, lowercasing platform and family', () => {
    expect(buildDeviceAuthPayloadV3(input)).toBe(PAYLOAD);
    expect(buildDeviceAuthPayloadV2(input)).toBe(PAYLOAD.split('|').slice(0, 9).join('|').replace('v3|', 'v2|'));
  });

  it('signs to the reference signature and verifies it', () => {
    const signature = sign(null, Buffer.from(PAYLOAD), privateKeyFromSeed(SEED)).toString('base64url');
    expect(signature).toBe(SIGNATURE);
    const key = publicKeyObjectFromRaw(rawPublicKeyFrom(PUBLIC_KEY)!);
    expect(verifyDeviceAuthSignature(key, input, SIGNATURE)).toBe('v3');
  });

  it('rejects a signature with one flipped byte', () => {
    const bytes = base64UrlDecode(SIGNATURE);
    bytes[10] = bytes[10]! ^ 0x01;
    const key = publicKeyObjectFromRaw(rawPublicKeyFrom(PUBLIC_KEY)!);
    expect(verifyDeviceAuthSignature(key, input, bytes.toString('base64url'))).toBeUndefined();
  });

  it('falls back to v2 for older clients', () => {
    const v2 = sign(null, Buffer.from(buildDeviceAuthPayloadV2(input)), privateKeyFromSeed(SEED)).toString('base64url');
    const key = publicKeyObjectFromRaw(rawPublicKeyFrom(PUBLIC_KEY)!);
    expect(verifyDeviceAuthSignature(key, input, v2)).toBe('v2');
  });

  it('accepts standard base64 and PEM keys, rejects garbage', () => {
    const std = base64UrlDecode(PUBLIC_KEY).toString('base64');
    expect(rawPublicKeyFrom(std)?.toString('base64url')).toBe(PUBLIC_KEY);
    const pem = publicKeyObjectFromRaw(rawPublicKeyFrom(PUBLIC_KEY)!).export({ format: 'pem', type: 'spki' }).toString();
    expect(rawPublicKeyFrom(pem)?.toString('base64url')).toBe(PUBLIC_KEY);
    expect(rawPublicKeyFrom('not a key!')).toBeUndefined();
    expect(rawPublicKeyFrom('AAAA')).toBeUndefined();
  });
});

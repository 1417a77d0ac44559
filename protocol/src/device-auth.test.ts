import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
// Test-only reach into the pairing package: its identity files are the other node:crypto signer.
import { loadIdentity } from '@tether/pairing';
import {
  base64UrlDecode,
  base64UrlEncode,
  buildDeviceAuthPayloadV2,
  buildDeviceAuthPayloadV3,
  deriveDeviceId,
  publicKeyObjectFromRaw,
  rawPublicKeyFrom,
  verifyDeviceAuthSignature,
  verifyEd25519,
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

/*
 * tweetnacl is an independent Ed25519 (its own field arithmetic, no OpenSSL), so agreement with it
 * means our node:crypto signer and verifier speak RFC 8032, not just agree with themselves.
 */
const nodePublicRaw = (seed: Uint8Array): Buffer =>
  Buffer.from(createPublicKey(privateKeyFromSeed(Buffer.from(seed))).export({ format: 'jwk' }).x!, 'base64url');
const nodeSign = (seed: Uint8Array, payload: string): string =>
  sign(null, Buffer.from(payload, 'utf8'), privateKeyFromSeed(Buffer.from(seed))).toString('base64url');
const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const flipBit = (bytes: Uint8Array, bit: number): Uint8Array => {
  const copy = new Uint8Array(bytes);
  copy[(bit >> 3) % copy.length]! ^= 1 << (bit & 7);
  return copy;
};

/** What a wire attacker can do to a JSON string field: change one UTF-16 unit (or add one to an empty string). */
const changeOneChar = (text: string, at: number): string => {
  if (text.length === 0) return String.fromCharCode(0x21 + (at % 90));
  const i = at % text.length;
  const code = text.charCodeAt(i);
  // Stay in the same surrogate half so the string keeps its UTF-8 shape: a lone surrogate encodes
  // as U+FFFD and two different strings could then sign the same bytes.
  const next = code >= 0xd800 && code <= 0xdfff ? code ^ 1 : code ^ 1 || 0x41;
  return text.slice(0, i) + String.fromCharCode(next) + text.slice(i + 1);
};
const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
// Payloads as the gateway builds them, plus arbitrary Unicode: the signature covers UTF-8 bytes.
const payloadArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc
    .record({
      clientId: fc.string({ minLength: 1, maxLength: 20 }),
      clientMode: fc.string({ minLength: 1, maxLength: 10 }),
      role: fc.constantFrom('node', 'operator'),
      scopes: fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }),
      signedAtMs: fc.nat(),
      token: fc.string({ maxLength: 40 }),
      nonce: fc.uuid(),
      platform: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
      deviceFamily: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    })
    .map((p) => buildDeviceAuthPayloadV3({ ...p, deviceId: DEVICE_ID })),
);
// Pure-JS tweetnacl signs at ~1 ms; 100 random keys per property keep the file at a few seconds.
const RUNS = { numRuns: 100 };

describe('Ed25519 cross-check against tweetnacl', () => {
  it('agrees on the reference vector: key, device id, signature, verification', () => {
    const pair = nacl.sign.keyPair.fromSeed(SEED);
    expect(base64UrlEncode(pair.publicKey)).toBe(PUBLIC_KEY);
    expect(deriveDeviceId(pair.publicKey)).toBe(DEVICE_ID);
    expect(base64UrlEncode(nacl.sign.detached(utf8(PAYLOAD), pair.secretKey))).toBe(SIGNATURE);
    expect(nacl.sign.detached.verify(utf8(PAYLOAD), base64UrlDecode(SIGNATURE), pair.publicKey)).toBe(true);
  });

  it('derives the same public key and device id from any seed', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const naclRaw = nacl.sign.keyPair.fromSeed(seed).publicKey;
        const raw = nodePublicRaw(seed);
        expect(Buffer.from(naclRaw).equals(raw)).toBe(true);
        const wire = rawPublicKeyFrom(base64UrlEncode(naclRaw));
        expect(wire && deriveDeviceId(wire)).toBe(deriveDeviceId(naclRaw));
        expect(deriveDeviceId(naclRaw)).toBe(createHash('sha256').update(naclRaw).digest('hex'));
        expect(deriveDeviceId(naclRaw)).toMatch(/^[0-9a-f]{64}$/);
      }),
      RUNS,
    );
  });

  it('signs identically (Ed25519 is deterministic) and each side verifies the other', () => {
    fc.assert(
      fc.property(seedArb, payloadArb, (seed, payload) => {
        const pair = nacl.sign.keyPair.fromSeed(seed);
        const ours = nodeSign(seed, payload);
        const theirs = nacl.sign.detached(utf8(payload), pair.secretKey);
        expect(ours).toBe(base64UrlEncode(theirs));
        expect(nacl.sign.detached.verify(utf8(payload), base64UrlDecode(ours), pair.publicKey)).toBe(true);
        expect(verifyEd25519(publicKeyObjectFromRaw(pair.publicKey), payload, base64UrlEncode(theirs))).toBe(true);
      }),
      RUNS,
    );
  });

  it('both reject a signature or key with one flipped bit, or a payload with one changed character', () => {
    fc.assert(
      fc.property(seedArb, payloadArb, fc.nat(), fc.constantFrom('signature', 'payload', 'key'), (seed, payload, at, part) => {
        const pair = nacl.sign.keyPair.fromSeed(seed);
        let signature = nacl.sign.detached(utf8(payload), pair.secretKey);
        let key = pair.publicKey;
        let signed = payload;
        if (part === 'signature') signature = flipBit(signature, at);
        else if (part === 'key') key = flipBit(key, at);
        else signed = changeOneChar(payload, at);
        expect(nacl.sign.detached.verify(utf8(signed), signature, key)).toBe(false);
        expect(verifyEd25519(publicKeyObjectFromRaw(key), signed, base64UrlEncode(signature))).toBe(false);
      }),
      RUNS,
    );
  });

  it('rejects a malleated signature (S + L) that tweetnacl would accept', () => {
    // tweetnacl skips RFC 8032's S < L check; OpenSSL (and so the gateway) enforces it, so one
    // captured signature cannot be turned into a second valid-looking one.
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const pair = nacl.sign.keyPair.fromSeed(SEED);
    const signature = nacl.sign.detached(utf8(PAYLOAD), pair.secretKey);
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!);
    const malleated = new Uint8Array(signature);
    for (let i = 0; i < 32; i++) malleated[32 + i] = Number(((s + L) >> BigInt(8 * i)) & 0xffn);
    expect(nacl.sign.detached.verify(utf8(PAYLOAD), malleated, pair.publicKey)).toBe(true);
    expect(verifyEd25519(publicKeyObjectFromRaw(pair.publicKey), PAYLOAD, base64UrlEncode(malleated))).toBe(false);
  });

  it("a pairing identity file signs what tweetnacl verifies, under the id tweetnacl's key derives", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-nacl-'));
    try {
      fc.assert(
        fc.property(seedArb, payloadArb, (seed, payload) => {
          const pem = privateKeyFromSeed(Buffer.from(seed)).export({ format: 'pem', type: 'pkcs8' });
          writeFileSync(join(dir, 'device-key.pem'), pem, { mode: 0o600 });
          const identity = loadIdentity({ dir });
          const pair = nacl.sign.keyPair.fromSeed(seed);
          expect(identity.publicKey).toBe(base64UrlEncode(pair.publicKey));
          expect(identity.deviceId).toBe(deriveDeviceId(pair.publicKey));
          expect(nacl.sign.detached.verify(utf8(payload), base64UrlDecode(identity.sign(payload)), pair.publicKey)).toBe(true);
        }),
        { numRuns: 40 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

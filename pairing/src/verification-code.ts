/**
 * The short code shown on both the node console and the approval UI, so a person can check that the
 * device they approve is the one in front of them (KDE Connect style, over both raw keys).
 * Sorting the keys makes it order-independent: both ends compute it without agreeing on who is "A".
 */
import { createHash } from 'node:crypto';
import { rawPublicKeyFrom } from '@tether/protocol';

/** Crockford base32: no I, L, O or U, so the code survives being read aloud or retyped. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DOMAIN = Buffer.from('tether-verify-v1\0', 'utf8');
/** Over TLS the code also covers the certificate each side sees, so a man in the middle shows two codes. */
const TLS_DOMAIN = Buffer.from('tether-verify-tls-v1\0', 'utf8');

/**
 * `tlsFingerprint`: the SHA-256 (hex) of the gateway's TLS certificate, as the gateway serves it and as
 * the node saw it in its handshake; omitted on plain ws, which keeps the original code.
 */
export function verificationCode(gatewayPublicKey: string, devicePublicKey: string, tlsFingerprint?: string): string {
  const a = requireRawKey(gatewayPublicKey, 'gateway');
  const b = requireRawKey(devicePublicKey, 'device');
  const [first, second] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
  const hash = createHash('sha256');
  if (tlsFingerprint === undefined) hash.update(DOMAIN).update(first).update(second);
  else {
    if (!/^[0-9a-f]{64}$/.test(tlsFingerprint)) throw new TypeError('the TLS fingerprint must be 64 lowercase hex characters (SHA-256 of the certificate DER)');
    hash.update(TLS_DOMAIN).update(first).update(second).update(Buffer.from(tlsFingerprint, 'hex'));
  }
  const digest = hash.digest();
  // 40 bits = 8 base32 characters of 5 bits each.
  let bits = digest.readUIntBE(0, 5);
  let code = '';
  for (let i = 0; i < 8; i++) {
    code = CROCKFORD.charAt(bits % 32) + code;
    bits = Math.floor(bits / 32);
  }
  return code;
}

function requireRawKey(publicKey: string, which: string): Buffer {
  const raw = rawPublicKeyFrom(publicKey);
  if (!raw) throw new TypeError(`the ${which} public key is not an Ed25519 key (expected 32 bytes base64url or PEM)`);
  return raw;
}

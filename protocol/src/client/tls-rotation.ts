/**
 * Certificate rotation the way pinned clients can follow it: the gateway's old key signs a statement
 * "my certificate is now <new fingerprint>, here it is". A client pinned to the old certificate that
 * meets a new one fetches the statements (`GET /tls/rotations`, public: they are signed) and accepts
 * the new certificate only if a chain of statements, each signed by the key of the certificate before
 * it, leads from its pin to what the gateway presents. Anything else stays a PIN_MISMATCH.
 */
import { sign, verify, X509Certificate, type KeyLike } from 'node:crypto';
import { fingerprintOfPem } from './tls-pin.js';

export interface RotationStatement {
  version: 1;
  /** SHA-256 (64 hex) of the certificate that signed this statement. */
  from: string;
  /** SHA-256 of the new certificate. */
  to: string;
  certPem: string;
  issuedAtMs: number;
  /** base64 signature by `from`'s key over `rotationSignedBytes`. */
  signature: string;
}

const MAX_STATEMENTS = 16;
const MAX_PEM_CHARS = 16_384;

/** The exact bytes signed: a fixed-order array, so no JSON key order or whitespace can change them. */
export function rotationSignedBytes(statement: Omit<RotationStatement, 'signature'>): Buffer {
  return Buffer.from(JSON.stringify(['tether-tls-rotation-v1', statement.from, statement.to, statement.certPem, statement.issuedAtMs]));
}

export function signRotation(oldKeyPem: KeyLike, oldCertPem: string, newCertPem: string, issuedAtMs = Date.now()): RotationStatement {
  const unsigned = { version: 1 as const, from: fingerprintOfPem(oldCertPem), to: fingerprintOfPem(newCertPem), certPem: newCertPem, issuedAtMs };
  return { ...unsigned, signature: sign('sha256', rotationSignedBytes(unsigned), oldKeyPem).toString('base64') };
}

function isStatement(value: unknown): value is RotationStatement {
  const s = value as Partial<RotationStatement>;
  return (
    typeof value === 'object' &&
    value !== null &&
    s.version === 1 &&
    typeof s.from === 'string' &&
    /^[0-9a-f]{64}$/.test(s.from) &&
    typeof s.to === 'string' &&
    /^[0-9a-f]{64}$/.test(s.to) &&
    typeof s.certPem === 'string' &&
    s.certPem.length <= MAX_PEM_CHARS &&
    typeof s.issuedAtMs === 'number' &&
    typeof s.signature === 'string' &&
    s.signature.length <= 1_024
  );
}

/**
 * The certificate `statements` lead to from `pinnedCertPem`, if that is exactly `presentedFingerprint`;
 * undefined when no chain of valid signatures gets there. Never throws on hostile input.
 */
export function followRotations(pinnedCertPem: string, presentedFingerprint: string, statements: unknown): { fingerprint: string; certPem: string } | undefined {
  if (!Array.isArray(statements)) return undefined;
  const valid = statements.slice(0, MAX_STATEMENTS).filter(isStatement);
  let current = { fingerprint: fingerprintOfPem(pinnedCertPem), certPem: pinnedCertPem };
  for (let step = 0; step < valid.length && current.fingerprint !== presentedFingerprint; step++) {
    const next = valid.find((s) => s.from === current.fingerprint && signedBy(current.certPem, s));
    if (!next) return undefined;
    current = { fingerprint: next.to, certPem: next.certPem };
  }
  return current.fingerprint === presentedFingerprint ? current : undefined;
}

function signedBy(certPem: string, statement: RotationStatement): boolean {
  try {
    if (fingerprintOfPem(statement.certPem) !== statement.to) return false;
    return verify('sha256', rotationSignedBytes(statement), new X509Certificate(certPem).publicKey, Buffer.from(statement.signature, 'base64'));
  } catch {
    return false;
  }
}

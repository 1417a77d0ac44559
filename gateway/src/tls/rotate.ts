/**
 * `tether gateway rotate-cert`: a new certificate, announced by the old one. The old key signs a
 * statement naming the new certificate (protocol/src/client/tls-rotation.ts), kept in
 * `<stateDir>/tls/rotations.json` and served at `GET /tls/rotations`, so every node and CLI pinned to
 * the old certificate follows to the new one by itself, and no one else's certificate can pass for it.
 * The gateway serves the new certificate from its next start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signRotation, type RotationStatement } from '@tether/protocol';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from '@tether/pairing';
import { CERT_FILE, generateSelfSigned, KEY_FILE, TLS_DIR, TlsSetupError } from './certificate.js';

export const ROTATIONS_FILE = 'rotations.json';
/** Statements kept: enough for a node that slept through several rotations. */
const KEPT_ROTATIONS = 8;

export function rotationsPath(stateDir: string): string {
  return join(stateDir, TLS_DIR, ROTATIONS_FILE);
}

/** The signed statements, oldest first (none when the certificate was never rotated). */
export function readRotations(stateDir: string): RotationStatement[] {
  const value = readJsonFile(rotationsPath(stateDir)) as { rotations?: RotationStatement[] } | undefined;
  return Array.isArray(value?.rotations) ? value.rotations : [];
}

export async function rotateCertificate(stateDir: string, hosts: string[]): Promise<{ from: string; to: string }> {
  const dir = join(stateDir, TLS_DIR);
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    throw new TlsSetupError(`no generated certificate in ${dir} to rotate (a gateway with gateway.tls.certPath manages its own; one that never served TLS has none yet)`);
  }
  const oldCert = readFileSync(certPath, 'utf8');
  const oldKey = readFileSync(keyPath, 'utf8');
  const made = await generateSelfSigned(hosts);
  const statement = signRotation(oldKey, oldCert, made.certPem);
  // The statement first: if the new certificate were written and the statement lost, pinned clients
  // would meet a certificate nothing vouches for.
  await writeJsonAtomic(rotationsPath(stateDir), { rotations: [...readRotations(stateDir), statement].slice(-KEPT_ROTATIONS) });
  await writeFileAtomic(keyPath, made.keyPem, 0o600);
  await writeFileAtomic(certPath, made.certPem, 0o600);
  return { from: statement.from, to: statement.to };
}

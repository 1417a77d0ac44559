/**
 * The gateway's TLS certificate: self-signed ECDSA P-256, made on first start with @peculiar/x509
 * (WebCrypto, no `openssl` binary needed), kept in `<stateDir>/tls/` (dir 0700, key 0600) and reused.
 * Its identity is the SHA-256 of its DER, which clients pin.
 */
import { webcrypto, createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { fingerprintOfDer, fingerprintOfPem } from '@tether/protocol';
import { ensurePrivateDir, writeFileAtomic } from '@tether/pairing';

export const TLS_DIR = 'tls';
export const CERT_FILE = 'gateway-cert.pem';
export const KEY_FILE = 'gateway-key.pem';
/** Ten years: pinned clients follow the certificate itself, not a CA, so renewal would only break them. */
const VALIDITY_MS = 3650 * 24 * 3600 * 1000;

export interface GatewayCertificate {
  certPem: string;
  keyPem: string;
  /** 64 lowercase hex: SHA-256 of the certificate DER. */
  fingerprint: string;
  certPath: string;
  keyPath: string;
  /** True when this start made the certificate. */
  created: boolean;
}

export class TlsSetupError extends Error {
  readonly code = 'TLS_SETUP_FAILED';
}

/** Loads the certificate from explicit paths, or from (creating it in) `<stateDir>/tls/`. */
export async function loadOrCreateCertificate(options: { stateDir: string; certPath?: string; keyPath?: string; hosts: string[] }): Promise<GatewayCertificate> {
  if (options.certPath || options.keyPath) {
    if (!options.certPath || !options.keyPath) throw new TlsSetupError('gateway.tls needs both certPath and keyPath (or neither, to use a generated certificate)');
    return readCertificate(options.certPath, options.keyPath, false);
  }
  const dir = join(options.stateDir, TLS_DIR);
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  ensurePrivateDir(dir);
  if (existsSync(certPath) || existsSync(keyPath)) return readCertificate(certPath, keyPath, false);
  const made = await generateSelfSigned(options.hosts);
  // Key first: a certificate file without its key would be unusable; the reverse is re-read as missing.
  await writeFileAtomic(keyPath, made.keyPem, 0o600);
  await writeFileAtomic(certPath, made.certPem, 0o600);
  return { ...made, certPath, keyPath, fingerprint: fingerprintOfPem(made.certPem), created: true };
}

function readCertificate(certPath: string, keyPath: string, created: boolean): GatewayCertificate {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = readFileSync(certPath, 'utf8');
    keyPem = readFileSync(keyPath, 'utf8');
  } catch (error) {
    throw new TlsSetupError(
      `cannot read the gateway's TLS certificate or key (${(error as Error).message}). Restore both files, or delete ${certPath} and ${keyPath} ` +
        'to make a new certificate (every pinned node and CLI must then re-pin with `tether node trust --reset`).',
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the key does not belong to the certificate');
  } catch (error) {
    throw new TlsSetupError(`the TLS certificate ${certPath} or key ${keyPath} is not usable: ${(error as Error).message}`);
  }
  return { certPem, keyPem, fingerprint: fingerprintOfDer(cert.raw), certPath, keyPath, created };
}


/** The names a certificate made here lists: the bound host, this machine's name and its addresses. */
export function certificateHosts(boundHost: string): string[] {
  const hosts = new Set<string>(['localhost', '127.0.0.1', '::1']);
  const unspecified = boundHost === '0.0.0.0' || boundHost === '::';
  if (!unspecified) hosts.add(boundHost);
  const name = hostname();
  if (/^[a-z0-9-]{1,63}$/i.test(name)) {
    hosts.add(name);
    hosts.add(`${name}.local`);
  }
  if (unspecified) {
    for (const list of Object.values(networkInterfaces())) {
      for (const entry of list ?? []) if (!entry.internal && !entry.address.startsWith('fe80')) hosts.add(entry.address);
    }
  }
  return [...hosts];
}

/**
 * Loaded only when a certificate is made (first start): the library and the reflect polyfill its
 * dependency injection needs stay out of every later gateway start.
 */
async function loadX509(): Promise<typeof X509> {
  await import('reflect-metadata');
  const loaded = (await import('@peculiar/x509')) as typeof X509 & { default?: typeof X509 };
  // Bundled, the CommonJS build may arrive as the namespace's default export.
  return loaded.cryptoProvider ? loaded : (loaded.default ?? loaded);
}

export async function generateSelfSigned(hosts: string[]): Promise<{ certPem: string; keyPem: string }> {
  const x509 = await loadX509();
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const names = hosts.map((host) => (isIP(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=tether-gateway ${hostname().replace(/[,=+<>#;"\\]/g, '')}`.trim(),
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + VALIDITY_MS),
    signingAlgorithm: algorithm,
    keys: keys as unknown as X509.X509CertificateCreateSelfSignedParams['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
  return { certPem: cert.toString('pem'), keyPem };
}

/**
 * Certificate pinning for `wss://`. The identity of a gateway is the SHA-256 of its certificate's DER
 * (64 lowercase hex, OpenClaw's `tlsFingerprint` format).
 *
 * Why `ca` + `checkServerIdentity`: Node runs `checkServerIdentity` only after chain verification
 * succeeded, so `rejectUnauthorized: false` + `checkServerIdentity` never checks a self-signed
 * certificate at all. With the pinned certificate as the only `ca`, any other certificate fails chain
 * verification inside the TLS handshake, before ws writes a byte of the HTTP upgrade; the fingerprint
 * comparison then also rejects a different certificate that happens to chain to the pinned one.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls, { type PeerCertificate } from 'node:tls';

export const PIN_MISMATCH = 'PIN_MISMATCH';

/** A pin as the client keeps it: the fingerprint always, the certificate once it has been seen. */
export interface TlsPin {
  fingerprint: string;
  /** The pinned certificate (PEM); required for a pinned connect (it becomes the only trust anchor). */
  certPem: string;
}

/** `sha256:AB:CD…`, `ab cd …` or `abcd…` → 64 lowercase hex; undefined when it is not a SHA-256. */
export function normalizeFingerprint(value: string): string | undefined {
  const hex = value.trim().replace(/^sha-?256[:=/]?/i, '').replace(/[\s:-]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** Grouped for a person comparing two screens: 16 groups of 4 hex digits. */
export function formatFingerprint(fingerprint: string): string {
  const hex = normalizeFingerprint(fingerprint) ?? fingerprint;
  return (hex.match(/.{1,4}/g) ?? []).join(' ');
}

export function fingerprintOfDer(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export function fingerprintOfPem(pem: string): string {
  return fingerprintOfDer(new X509Certificate(pem).raw);
}

export class PinMismatchError extends Error {
  readonly code = PIN_MISMATCH;
  constructor(
    readonly expected: string,
    readonly presented: string | undefined,
    readonly target: string,
  ) {
    super(
      `${PIN_MISMATCH}: the gateway at ${target} presented certificate ${presented ? formatFingerprint(presented) : '(unknown)'}, ` +
        `but ${formatFingerprint(expected)} is pinned for it. Nothing was sent. If the gateway's certificate really changed ` +
        '(it was reinstalled or its state dir was deleted), check the new fingerprint on the gateway host and re-pin; otherwise someone may be intercepting the connection.',
    );
    this.name = 'PinMismatchError';
  }
}

/** The TLS options that make a connection succeed only with the pinned certificate. */
export function pinnedTlsOptions(pin: TlsPin): Pick<tls.ConnectionOptions, 'ca' | 'checkServerIdentity' | 'rejectUnauthorized'> {
  const expected = pin.fingerprint;
  return {
    ca: [pin.certPem],
    rejectUnauthorized: true,
    // The host name is not checked: gateways are reached by LAN IPs and names the certificate may not
    // list; the pin is the identity.
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      const presented = cert.raw ? fingerprintOfDer(cert.raw) : undefined;
      return presented === expected ? undefined : new PinMismatchError(expected, presented, _host);
    },
  };
}

/**
 * Opens a TLS connection with the pin enforced in the handshake. The presented certificate is read
 * just before Node's own verification (a `secure` listener placed first) only to name it in the error.
 */
export function connectPinned(options: tls.ConnectionOptions, pin: TlsPin, target: string): tls.TLSSocket {
  const socket = tls.connect({ ...options, ...pinnedTlsOptions(pin) });
  let presented: string | undefined;
  socket.prependListener('secure', () => {
    const raw = socket.getPeerCertificate()?.raw;
    if (raw) presented = fingerprintOfDer(raw);
  });
  const emit = socket.emit.bind(socket);
  // Replace the bare "self-signed certificate" error with one that says which pin failed.
  socket.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event === 'error' && !(args[0] instanceof PinMismatchError) && presented !== undefined && presented !== pin.fingerprint) {
      return emit('error', new PinMismatchError(pin.fingerprint, presented, target));
    }
    return emit(event, ...args);
  }) as typeof socket.emit;
  return socket;
}

export interface ProbedCertificate {
  fingerprint: string;
  certPem: string;
}

/** Host and port of a `wss://` URL, with the SNI name to send (none for an IP address). */
export function tlsEndpoint(url: string): { host: string; port: number; servername?: string } {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port ? Number(parsed.port) : 443;
  return { host, port, ...(isIP(host) ? {} : { servername: host }) };
}

/**
 * Reads the certificate a TLS server presents, without trusting it and without sending a byte of
 * application data: for trust on first use, before any token leaves this process.
 */
export function probeCertificate(url: string, timeoutMs = 10_000): Promise<ProbedCertificate> {
  const endpoint = tlsEndpoint(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ ...endpoint, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TLS handshake from ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const raw = socket.getPeerCertificate()?.raw;
      socket.destroy();
      if (!raw) return reject(new Error(`${endpoint.host}:${endpoint.port} presented no certificate`));
      resolve({ fingerprint: fingerprintOfDer(raw), certPem: new X509Certificate(raw).toString() });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

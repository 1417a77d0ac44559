/**
 * Pinned gateway certificates, SSH `known_hosts` style: one pin per gateway endpoint (`host:port`, so
 * `wss://h:1` and `wss://h:1/` are one gateway), kept in a JSON file (0600) in the client's state dir.
 * A pin is never replaced silently: only `reset` removes it.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { ensurePrivateDir, readJsonFile, writeJsonAtomic } from './atomic-file.js';

export interface StoredTlsPin {
  fingerprint: string;
  certPem: string;
  url: string;
  pinnedAtMs: number;
}

interface PinFile {
  version: 1;
  pins: Record<string, StoredTlsPin>;
}

export class TlsPinStoreError extends Error {
  readonly code = 'TLS_PIN_STORE_INVALID';
}

/** `host:port` of a ws/wss URL, lower-cased, with the default port filled in. */
export function pinKey(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'wss:' ? '443' : '80');
  return `${parsed.hostname.toLowerCase()}:${port}`;
}

export class TlsPinStore {
  constructor(readonly path: string) {}

  private read(): PinFile {
    let value: unknown;
    try {
      value = readJsonFile(this.path);
    } catch (error) {
      // A damaged trust store must not turn into "no pins" (that would re-open trust on first use).
      throw new TlsPinStoreError(`cannot read the TLS trust store ${this.path}: ${(error as Error).message}. Fix or delete it (then every gateway must be confirmed again).`);
    }
    if (value === undefined) return { version: 1, pins: {} };
    const file = value as Partial<PinFile>;
    if (file.version !== 1 || typeof file.pins !== 'object' || file.pins === null) {
      throw new TlsPinStoreError(`the TLS trust store ${this.path} is not in a format this version reads; delete it to start over`);
    }
    return file as PinFile;
  }

  get(url: string): StoredTlsPin | undefined {
    const pin = this.read().pins[pinKey(url)];
    if (!pin) return undefined;
    // The stored PEM must be the certificate the fingerprint names, or the `ca` pin would trust something else.
    let actual: string;
    try {
      actual = createHash('sha256').update(new X509Certificate(pin.certPem).raw).digest('hex');
    } catch {
      actual = '';
    }
    if (actual !== pin.fingerprint) throw new TlsPinStoreError(`the pin for ${pinKey(url)} in ${this.path} is damaged (its certificate does not match its fingerprint); re-pin with --reset`);
    return pin;
  }

  list(): StoredTlsPin[] {
    return Object.values(this.read().pins);
  }

  async set(url: string, pin: { fingerprint: string; certPem: string }): Promise<void> {
    const file = this.read();
    file.pins[pinKey(url)] = { fingerprint: pin.fingerprint, certPem: pin.certPem, url, pinnedAtMs: Date.now() };
    ensurePrivateDir(dirname(this.path));
    await writeJsonAtomic(this.path, file, 0o600);
  }

  /** Removes the pin for one gateway (or all of them); returns how many were removed. */
  async reset(url?: string): Promise<number> {
    const file = this.read();
    const keys = url === undefined ? Object.keys(file.pins) : [pinKey(url)].filter((key) => key in file.pins);
    for (const key of keys) delete file.pins[key];
    if (keys.length > 0) await writeJsonAtomic(this.path, file, 0o600);
    return keys.length;
  }
}

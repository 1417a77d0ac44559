/**
 * The browser's own device identity: an Ed25519 key pair made once per origin and kept in IndexedDB.
 * Where the browser has Ed25519 in WebCrypto the private key is a non-extractable CryptoKey (a script
 * on the page can sign with it while the page is open, but cannot copy it out); elsewhere (older
 * browsers, or a page served over plain http beyond loopback, which is not a secure context and has
 * no crypto.subtle) tweetnacl makes and uses the key, and its bytes are stored instead.
 */
import nacl from 'tweetnacl';

export interface BrowserIdentity {
  /** Raw public key, base64url: what the gateway derives the device id from. */
  publicKey: string;
  kind: 'webcrypto' | 'tweetnacl';
  /** The base64url Ed25519 signature of `payload` (UTF-8). */
  sign(payload: string): Promise<string>;
}

type Stored = { kind: 'webcrypto'; publicKey: string; privateKey: CryptoKey } | { kind: 'tweetnacl'; publicKey: string; secretKey: Uint8Array };

const DB_NAME = 'tether-control-ui';
const STORE = 'identity';
const KEY = 'device';

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB is not available'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, use: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = use(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

async function generate(): Promise<Stored> {
  try {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    return { kind: 'webcrypto', publicKey: base64Url(raw), privateKey: pair.privateKey };
  } catch {
    // No crypto.subtle (not a secure context) or no Ed25519 in it: tweetnacl, seeded by getRandomValues.
    const pair = nacl.sign.keyPair();
    return { kind: 'tweetnacl', publicKey: base64Url(pair.publicKey), secretKey: pair.secretKey };
  }
}

function usable(stored: Stored): BrowserIdentity {
  const encoder = new TextEncoder();
  if (stored.kind === 'webcrypto') {
    return {
      kind: stored.kind,
      publicKey: stored.publicKey,
      sign: async (payload) => base64Url(new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, stored.privateKey, encoder.encode(payload)))),
    };
  }
  return { kind: stored.kind, publicKey: stored.publicKey, sign: async (payload) => base64Url(nacl.sign.detached(encoder.encode(payload), stored.secretKey)) };
}

function isStored(value: unknown): value is Stored {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<Record<string, unknown>>;
  if (typeof entry.publicKey !== 'string') return false;
  if (entry.kind === 'webcrypto') return entry.privateKey instanceof CryptoKey;
  return entry.kind === 'tweetnacl' && entry.secretKey instanceof Uint8Array && entry.secretKey.length === 64;
}

let cached: Promise<BrowserIdentity> | undefined;

/** This origin's identity, made on first use. Without IndexedDB it lives as long as the page. */
export function browserIdentity(): Promise<BrowserIdentity> {
  cached ??= (async () => {
    try {
      const found: unknown = await withStore('readonly', (store) => store.get(KEY));
      if (isStored(found)) return usable(found);
      const made = await generate();
      await withStore('readwrite', (store) => store.put(made, KEY));
      return usable(made);
    } catch {
      return usable(await generate());
    }
  })();
  return cached;
}

/** Forgets this origin's identity (Log out): the next login makes a new key. */
export async function forgetIdentity(): Promise<void> {
  cached = undefined;
  await new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

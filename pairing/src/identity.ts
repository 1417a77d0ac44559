/**
 * Device identity: an Ed25519 key pair in PEM files (0600) inside a 0700 directory.
 * An identity is never regenerated silently: a missing pair is created, a damaged one is an error
 * that says how to reset it.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { base64UrlEncode, deriveDeviceId, type DeviceSigner } from '@tether/protocol';
import { ensurePrivateDir } from './atomic-file.js';

export class IdentityError extends Error {
  readonly code = 'IDENTITY_CORRUPT';
  constructor(message: string) {
    super(message);
    this.name = 'IdentityError';
  }
}

export interface DeviceIdentity extends DeviceSigner {
  readonly privateKey: KeyObject;
  readonly publicKeyObject: KeyObject;
  readonly dir: string;
}

const PRIVATE_FILE = 'device-key.pem';
const PUBLIC_FILE = 'device-key.pub.pem';

export interface IdentityOptions {
  /** Directory holding the key files, e.g. `<stateDir>/identity`. */
  dir: string;
  /** The command a person runs to reset this identity (shown in errors). */
  resetHint?: string;
}

export function identityExists(dir: string): boolean {
  return existsSync(join(dir, PRIVATE_FILE));
}

export function loadOrCreateIdentity(options: IdentityOptions): DeviceIdentity {
  const { dir } = options;
  ensurePrivateDir(dir);
  chmodSync(dir, 0o700);
  const privatePath = join(dir, PRIVATE_FILE);
  if (!existsSync(privatePath)) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    // 'wx' so two processes racing to create never overwrite each other's key.
    writeFileSync(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    writeFileSync(join(dir, PUBLIC_FILE), publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o600 });
  }
  return loadIdentity(options);
}

export function loadIdentity(options: IdentityOptions): DeviceIdentity {
  const { dir } = options;
  const privatePath = join(dir, PRIVATE_FILE);
  const hint = options.resetHint ?? `delete ${dir} to create a new identity (the device must then be paired again)`;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(privatePath, 'utf8'));
  } catch (error) {
    throw new IdentityError(`the device identity in ${privatePath} cannot be read (${(error as Error).message}); to start over run: ${hint}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new IdentityError(`the device identity in ${privatePath} is not an Ed25519 key; to start over run: ${hint}`);
  }
  const publicKeyObject = createPublicKey(privateKey);
  const raw = Buffer.from(publicKeyObject.export({ format: 'jwk' }).x ?? '', 'base64url');
  const publicKey = base64UrlEncode(raw);
  const deviceId = deriveDeviceId(raw);
  return {
    deviceId,
    publicKey,
    privateKey,
    publicKeyObject,
    dir,
    sign: (payload: string) => sign(null, Buffer.from(payload, 'utf8'), privateKey).toString('base64url'),
  };
}

/** Deletes the key pair and creates a new one. Only on explicit request (`tether node identity --reset`). */
export function resetIdentity(options: IdentityOptions): DeviceIdentity {
  rmSync(join(options.dir, PRIVATE_FILE), { force: true });
  rmSync(join(options.dir, PUBLIC_FILE), { force: true });
  return loadOrCreateIdentity(options);
}

/**
 * The gateway's state directory: the shared token, the one-gateway lock, and the runtime file the
 * CLI reads to find a local gateway without flags.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensurePrivateDir, readJsonFile, writeJsonAtomic } from '@tether/pairing';

export const TOKEN_FILE = 'gateway.token';
export const LOCK_FILE = 'gateway.lock';
export const RUNTIME_FILE = 'gateway.json';

/** `--state-dir`, else `TETHER_STATE_DIR`, else `~/.tether`. */
export function resolveStateDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? (env.TETHER_STATE_DIR || join(homedir(), '.tether')));
}

/** Reads the generated shared token, creating it (0600) on first start. */
export function loadOrCreateSharedToken(stateDir: string): string {
  ensurePrivateDir(stateDir);
  const path = join(stateDir, TOKEN_FILE);
  if (!existsSync(path)) {
    try {
      writeFileSync(path, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(path, 'utf8').trim();
}

export function readSharedToken(stateDir: string): string | undefined {
  try {
    return readFileSync(join(stateDir, TOKEN_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export class GatewayLockError extends Error {
  readonly code = 'GATEWAY_ALREADY_RUNNING';
}

/** One gateway per state dir: a pid file created exclusively; a dead owner's file is taken over. */
export function acquireGatewayLock(stateDir: string): () => void {
  ensurePrivateDir(stateDir);
  const path = join(stateDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { mode: 0o600, flag: 'wx' });
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new GatewayLockError(
          `another gateway (pid ${owner}) is already running with state dir ${stateDir}; stop it first, or use --state-dir for a second gateway`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new GatewayLockError(`cannot take the gateway lock ${path}; remove it if no gateway is running`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface GatewayRuntimeInfo {
  pid: number;
  url: string;
  host: string;
  port: number;
  startedAtMs: number;
  version: string;
  /** When the gateway serves TLS: its certificate (PEM) and SHA-256 fingerprint, so local CLIs pin it without asking. */
  tlsFingerprint?: string;
  tlsCertPem?: string;
}

export async function writeRuntimeInfo(stateDir: string, info: GatewayRuntimeInfo): Promise<void> {
  await writeJsonAtomic(join(stateDir, RUNTIME_FILE), info);
}

export function removeRuntimeInfo(stateDir: string): void {
  rmSync(join(stateDir, RUNTIME_FILE), { force: true });
}

/** The running local gateway, if its runtime file exists and its process is alive. */
export function readRuntimeInfo(stateDir: string): GatewayRuntimeInfo | undefined {
  let value: unknown;
  try {
    value = readJsonFile(join(stateDir, RUNTIME_FILE));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const info = value as Partial<GatewayRuntimeInfo>;
  if (typeof info.url !== 'string' || typeof info.pid !== 'number' || !processAlive(info.pid)) return undefined;
  return info as GatewayRuntimeInfo;
}

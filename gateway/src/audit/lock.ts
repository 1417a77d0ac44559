/** The one-gateway lock (`<stateDir>/gateway.lock`, see state-dir.ts): live, stale or absent. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK_FILE } from '../state-dir.js';

export type LockState = { state: 'absent' } | { state: 'live'; pid: number } | { state: 'stale'; pid?: number; path: string };

export function inspectGatewayLock(stateDir: string, alive: (pid: number) => boolean = processAlive): LockState {
  const path = join(stateDir, LOCK_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    return { state: 'stale', path };
  }
  const pid = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(pid) || pid <= 0) return { state: 'stale', path };
  return alive(pid) ? { state: 'live', pid } : { state: 'stale', pid, path };
}

/** Removes the lock only if it is still the stale one we looked at (a gateway may have started since). */
export function removeStaleLock(stateDir: string, alive: (pid: number) => boolean = processAlive): boolean {
  const now = inspectGatewayLock(stateDir, alive);
  if (now.state !== 'stale') return false;
  rmSync(now.path, { force: true });
  return true;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

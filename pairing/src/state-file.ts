/**
 * `<stateDir>/pairing/state.json`: load, validate, and change it under a lock.
 *
 * The gateway and the CLI share the file, so every change takes an in-process mutex plus a
 * cross-process proper-lockfile lock, re-reads the file if another process changed it, and writes it
 * atomically. Readers stay cheap: `refreshIfChanged()` is one `statSync`.
 *
 * "Touches" are small changes kept in memory on purpose (last-seen times, token use, pending refreshes)
 * so hot paths write nothing. They are re-applied after every reload, so a write by another process
 * never loses them, and they reach the disk with the next write.
 */
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { ensurePrivateDir, readJsonFile, writeFileAtomic } from './atomic-file.js';
import { PairingStoreError } from './errors.js';
import type { PairingState } from './types.js';

/** The lock is considered abandoned when its holder stops refreshing it for this long (it died). */
const LOCK_STALE_MS = 10_000;
/** About 3.5 s of backoff before giving up: long enough to ride out another process's write. */
const LOCK_RETRIES = { retries: 14, factor: 1.5, minTimeout: 20, maxTimeout: 400 };

export function emptyState(): PairingState {
  return { version: 1, pending: {}, paired: {}, rejected: {} };
}

interface Touch {
  seq: number;
  apply(state: PairingState): void;
}

export class StateFile {
  readonly dir: string;
  readonly path: string;
  private readonly lockPath: string;
  private current: PairingState = emptyState();
  /** The text on disk as we last read or wrote it, so unchanged states are never rewritten. */
  private diskText = serialize(emptyState());
  private signature = '';
  private readonly touches = new Map<string, Touch>();
  private touchSeq = 0;
  /** Tail of the in-process queue: proper-lockfile would refuse a second lock from the same process. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(stateDir: string) {
    this.dir = join(stateDir, 'pairing');
    this.path = join(this.dir, 'state.json');
    this.lockPath = join(this.dir, 'state.lock');
  }

  /** Creates the 0700 directory if needed and loads the file (a missing file is an empty state). */
  static open(stateDir: string): StateFile {
    const file = new StateFile(stateDir);
    ensurePrivateDir(file.dir);
    chmodSync(file.dir, 0o700);
    file.load();
    return file;
  }

  /** The current state, touches included. Treat as read-only: change it through `withLock` or `touch`. */
  get state(): PairingState {
    return this.current;
  }

  get hasTouches(): boolean {
    return this.touches.size > 0;
  }

  /** Reloads when another process replaced the file (new inode, size or mtime). */
  refreshIfChanged(): void {
    if (this.statSignature() !== this.signature) this.load();
  }

  /** Applies an in-memory change now and after every reload, until a write makes it durable. */
  touch(key: string, apply: (state: PairingState) => void): void {
    this.touches.set(key, { seq: ++this.touchSeq, apply });
    apply(this.current);
  }

  /** Runs `fn` on a copy of the fresh state under both locks; writes it only when the text changed. */
  withLock<T>(fn: (draft: PairingState) => T): Promise<T> {
    const run = this.queue.then(() => this.lockedUpdate(fn));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async lockedUpdate<T>(fn: (draft: PairingState) => T): Promise<T> {
    let compromised: Error | undefined;
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.path, {
        lockfilePath: this.lockPath,
        realpath: false,
        stale: LOCK_STALE_MS,
        retries: LOCK_RETRIES,
        // The default throws from a timer and would crash the gateway; refuse the write instead.
        onCompromised: (error) => {
          compromised = error;
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      throw new PairingStoreError(
        'STORE_LOCKED',
        `another process holds the pairing store lock ${this.lockPath}; retry in a moment (a lock whose holder died is released after ${LOCK_STALE_MS / 1000} s)`,
      );
    }
    try {
      this.refreshIfChanged();
      const appliedUpTo = this.touchSeq;
      const draft = structuredClone(this.current);
      const result = fn(draft);
      const text = serialize(draft);
      if (text !== this.diskText) {
        if (compromised) {
          throw new PairingStoreError('STORE_LOCKED', `lost the pairing store lock ${this.lockPath} (${compromised.message}); retry the command`);
        }
        await writeFileAtomic(this.path, text);
        this.diskText = text;
        this.signature = this.statSignature();
      }
      this.current = draft;
      for (const [key, touch] of this.touches) {
        if (touch.seq <= appliedUpTo) this.touches.delete(key);
        else touch.apply(draft); // arrived while we were writing
      }
      return result;
    } finally {
      // A compromised lock may already be gone; there is nothing left to release then.
      await release().catch(() => undefined);
    }
  }

  private load(): void {
    // Stat before reading: if the file is replaced in between we reload once more, never miss a change.
    const signature = this.statSignature();
    let value: unknown;
    try {
      value = readJsonFile(this.path);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      throw this.corrupt(`invalid JSON: ${error.message}`);
    }
    const state = value === undefined ? emptyState() : this.validate(value);
    this.current = state;
    this.diskText = serialize(state);
    this.signature = signature;
    for (const touch of this.touches.values()) touch.apply(state);
  }

  private statSignature(): string {
    try {
      const stat = statSync(this.path);
      return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw error;
    }
  }

  private validate(value: unknown): PairingState {
    if (!isRecord(value)) throw this.corrupt('the top level is not an object');
    if (value.version !== 1) throw this.corrupt(`unsupported version ${JSON.stringify(value.version)} (expected 1)`);
    const shapes: Record<'pending' | 'paired' | 'rejected' | 'removed', (entry: Record<string, unknown>) => boolean> = {
      pending: (e) =>
        isString(e.requestId) &&
        isString(e.deviceId) &&
        isString(e.role) &&
        isStringArray(e.scopes) &&
        isStringArray(e.commands) &&
        isNumber(e.expiresAtMs),
      paired: (e) =>
        isString(e.deviceId) &&
        isStringArray(e.roles) &&
        e.roles.length > 0 &&
        isStringArray(e.scopes) &&
        isStringArray(e.declaredCommands) &&
        isStringArray(e.approvedCommands) &&
        isRecord(e.tokens),
      rejected: (e) => isString(e.deviceId) && isNumber(e.untilMs),
      removed: (e) => isString(e.deviceId) && isNumber(e.atMs),
    };
    for (const [section, valid] of Object.entries(shapes)) {
      const entries = value[section];
      // Files written before removals were remembered have no "removed" section.
      if (section === 'removed' && entries === undefined) continue;
      if (!isRecord(entries)) throw this.corrupt(`"${section}" is not an object`);
      for (const [key, entry] of Object.entries(entries)) {
        if (!isRecord(entry) || !valid(entry)) throw this.corrupt(`"${section}.${key}" is not a valid record`);
      }
    }
    return value as unknown as PairingState;
  }

  private corrupt(detail: string): PairingStoreError {
    return new PairingStoreError(
      'STORE_CORRUPT',
      `the pairing state file ${this.path} is damaged (${detail}); move it aside (mv ${this.path} ${this.path}.bad) to start with no paired devices, or restore it from a backup`,
    );
  }
}

function serialize(state: PairingState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isString);
}

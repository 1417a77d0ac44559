/**
 * `<stateDir>/pairing/state.json`: loaded and validated once when the store opens, then changed
 * through one in-process queue, each change written atomically.
 *
 * One process owns the file: the gateway, which holds `gateway.lock` for its state dir while it runs
 * (`acquireGatewayLock` in gateway/src/state-dir.ts). The `tether` CLI changes pairings through the
 * gateway's methods and never opens the store. So memory is the truth and the file its durable copy:
 * no cross-process lock (a SIGKILLed holder's lock used to block the restarted gateway) and no re-reads.
 *
 * "Touches" are small changes kept in memory on purpose (last-seen times, token use, refreshes of
 * durable pending requests) so hot paths write nothing; they reach the disk with the next write. One
 * that arrives while a write is in flight is applied again to the state that write produces.
 */
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, readJsonFile, removeLeftoverTempFiles, writeFileAtomic } from './atomic-file.js';
import { PairingStoreError } from './errors.js';
import type { PairingState } from './types.js';

/** The cross-process lock directory of earlier versions (proper-lockfile); removed when found. */
const LEGACY_LOCK = 'state.lock';

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
  private current: PairingState = emptyState();
  /** The text on disk as we last read or wrote it, so unchanged states are never rewritten. */
  private diskText = serialize(emptyState());
  private readonly touches = new Map<string, Touch>();
  private touchSeq = 0;
  /** Tail of the write queue: one change at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(stateDir: string) {
    this.dir = join(stateDir, 'pairing');
    this.path = join(this.dir, 'state.json');
  }

  /**
   * Creates the 0700 directory if needed, removes what a killed gateway left behind (temp files of an
   * interrupted write, an old lock directory) and loads the file (a missing file is an empty state).
   */
  static open(stateDir: string): StateFile {
    const file = new StateFile(stateDir);
    ensurePrivateDir(file.dir);
    chmodSync(file.dir, 0o700);
    removeLeftoverTempFiles(file.dir);
    rmSync(join(file.dir, LEGACY_LOCK), { recursive: true, force: true });
    file.load();
    return file;
  }

  /** The current state, touches included. Treat as read-only: change it through `update` or `touch`. */
  get state(): PairingState {
    return this.current;
  }

  get hasTouches(): boolean {
    return this.touches.size > 0;
  }

  /** Applies an in-memory change now; it reaches the disk with the next write. */
  touch(key: string, apply: (state: PairingState) => void): void {
    this.touches.set(key, { seq: ++this.touchSeq, apply });
    apply(this.current);
  }

  /**
   * Runs `fn` on a copy of the state, after every earlier update; writes the copy only when its text
   * changed. If `fn` throws or the write fails, nothing changes (touches stay queued).
   */
  update<T>(fn: (draft: PairingState) => T): Promise<T> {
    const run = this.queue.then(() => this.apply(fn));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply<T>(fn: (draft: PairingState) => T): Promise<T> {
    const appliedUpTo = this.touchSeq;
    const draft = structuredClone(this.current);
    const result = fn(draft);
    const text = serialize(draft);
    if (text !== this.diskText) {
      try {
        await writeFileAtomic(this.path, text);
      } catch (error) {
        throw new PairingStoreError(
          'STORE_UNWRITABLE',
          `could not write the pairing state file ${this.path} (${(error as Error).message}); nothing was changed — check the free space and permissions of ${this.dir}, then retry`,
          { cause: error },
        );
      }
      this.diskText = text;
    }
    this.current = draft;
    for (const [key, touch] of this.touches) {
      if (touch.seq <= appliedUpTo) this.touches.delete(key);
      else touch.apply(draft); // arrived while we were writing
    }
    return result;
  }

  private load(): void {
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
  }

  private validate(value: unknown): PairingState {
    if (!isRecord(value)) throw this.corrupt('the top level is not an object');
    if (value.version !== 1) throw this.corrupt(`unsupported version ${JSON.stringify(value.version)} (expected 1)`);
    const shapes: Record<'pending' | 'paired' | 'rejected' | 'removed' | 'bootstrap', (entry: Record<string, unknown>) => boolean> = {
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
      bootstrap: (e) =>
        isString(e.id) &&
        isString(e.hash) &&
        isNumber(e.createdAtMs) &&
        isNumber(e.expiresAtMs) &&
        isString(e.createdBy) &&
        (e.commands === undefined || isStringArray(e.commands)),
    };
    for (const [section, valid] of Object.entries(shapes)) {
      const entries = value[section];
      // Files written before removals (or setup codes) were remembered have no such section.
      if ((section === 'removed' || section === 'bootstrap') && entries === undefined) continue;
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

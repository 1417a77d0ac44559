/**
 * `<stateDir>/pairing/audit.jsonl`: one JSON line per pairing decision, appended and never rewritten,
 * so "who approved this device, and when" survives every later change to the state file.
 *
 * It rotates so it cannot fill the disk: when an append would take it past `maxBytes`, it is renamed
 * to `audit.jsonl.1` (`.1` to `.2`, and so on; the oldest generation is dropped). Lines are never split
 * across files: a batch larger than `maxBytes` goes whole into a fresh file.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, promises as fs, readSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry } from './types.js';

export interface AuditLogOptions {
  /** Rotate before an append would take the file past this size (default 1 MiB). */
  maxBytes?: number;
  /** Rotated files kept: `audit.jsonl.1` (newest) … `audit.jsonl.<generations>` (default 3). */
  generations?: number;
}

export const DEFAULT_AUDIT_MAX_BYTES = 1024 * 1024;
export const DEFAULT_AUDIT_GENERATIONS = 3;

export class AuditLog {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly generations: number;
  /** Appends run one at a time: two rotations racing would drop a generation. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(pairingDir: string, options: AuditLogOptions = {}) {
    this.path = join(pairingDir, 'audit.jsonl');
    this.maxBytes = options.maxBytes ?? DEFAULT_AUDIT_MAX_BYTES;
    this.generations = options.generations ?? DEFAULT_AUDIT_GENERATIONS;
  }

  /**
   * Drops a torn last line. A write to a regular file can be cut short by SIGKILL at a page boundary,
   * so the line of the decision being appended when the gateway died may be half there; without this,
   * the next append would glue a valid line onto it. Called once, when the store opens.
   */
  repairTornTail(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const size = fstatSync(fd).size;
      if (size === 0) return;
      const window = Buffer.alloc(Math.min(size, 64 * 1024));
      readSync(fd, window, 0, window.length, size - window.length);
      if (window[window.length - 1] === 0x0a) return;
      const lastNewline = window.lastIndexOf(0x0a);
      // No newline in the last 64 KiB: the whole tail is one torn line longer than any entry we write.
      ftruncateSync(fd, lastNewline >= 0 ? size - window.length + lastNewline + 1 : size - window.length);
    } finally {
      closeSync(fd);
    }
  }

  /** One append per batch, as one O_APPEND write; a torn tail from a kill is dropped at the next open. */
  append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
    const run = this.queue.then(async () => {
      await this.rotateIfFull(Buffer.byteLength(text));
      await fs.appendFile(this.path, text, { mode: 0o600 });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async rotateIfFull(incomingBytes: number): Promise<void> {
    const size = await fileSize(this.path);
    if (size === 0 || size + incomingBytes <= this.maxBytes) return;
    // Oldest first, so every rename has a free target; a kill midway leaves a gap, never a lost line.
    for (let generation = this.generations - 1; generation >= 1; generation--) {
      await renameIfExists(`${this.path}.${generation}`, `${this.path}.${generation + 1}`);
    }
    await fs.rename(this.path, `${this.path}.1`);
    // It was created 0600, but a file from an older version or restored by hand may not be.
    await fs.chmod(`${this.path}.1`, 0o600);
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await fs.stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

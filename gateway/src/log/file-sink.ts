/**
 * `<stateDir>/logs/gateway.log`: JSON lines, rotated by size (gateway.log → gateway.log.1 → … →
 * gateway.log.<files-1>, the oldest dropped). Each line is written whole with one synchronous append
 * and rotation happens only between lines, so no line is ever split or lost to rotation, and a crash
 * loses nothing already logged. Written here rather than with pino + a rolling transport: those run
 * in a worker thread (megabytes of RSS on a Pi) and write asynchronously, which loses the last lines
 * of a crash.
 *
 * A failed write (a full disk, a removed directory) never throws into the caller: the partial line is
 * cut off, file logging stops, one line on stderr says so, and a retry happens a minute later.
 */
import { chmodSync, closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOG_FILE_NAME = 'gateway.log';
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 5;
export const MIN_MAX_BYTES = 1024;
const RETRY_AFTER_MS = 60_000;

export interface FileSinkOptions {
  dir: string;
  /** Rotate before a line would take the file past this size. */
  maxBytes?: number;
  /** gateway.log plus this many minus one rotated files. */
  maxFiles?: number;
  /** Where to say that file logging stopped or resumed (default: stderr). */
  warn?: (line: string) => void;
  now?: () => number;
}

export class FileSink {
  readonly dir: string;
  readonly path: string;
  readonly maxBytes: number;
  readonly maxFiles: number;
  private fd: number | undefined;
  private size = 0;
  private stoppedAtMs: number | undefined;
  private lost = 0;
  private closed = false;
  private readonly warn: (line: string) => void;
  private readonly now: () => number;

  constructor(options: FileSinkOptions) {
    this.dir = options.dir;
    this.path = join(options.dir, LOG_FILE_NAME);
    this.maxBytes = Math.max(MIN_MAX_BYTES, options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.maxFiles = Math.max(1, Math.min(100, options.maxFiles ?? DEFAULT_MAX_FILES));
    this.warn = options.warn ?? ((line) => void process.stderr.write(`${line}\n`));
    this.now = options.now ?? Date.now;
  }

  /** The files holding lines, newest first (those that exist). */
  files(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.maxFiles; i++) {
      const path = i === 0 ? this.path : `${this.path}.${i}`;
      try {
        statSync(path);
        out.push(path);
      } catch {
        // Not there (yet).
      }
    }
    return out;
  }

  get writing(): boolean {
    return this.fd !== undefined;
  }

  /** Appends one line (without its newline). Never throws. */
  write(line: string): void {
    if (this.closed) return;
    if (this.stoppedAtMs !== undefined) {
      if (this.now() - this.stoppedAtMs < RETRY_AFTER_MS) {
        this.lost++;
        return;
      }
      this.stoppedAtMs = undefined;
    }
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    try {
      if (this.fd === undefined) this.open();
      if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
      this.append(bytes);
      if (this.lost > 0) {
        const lost = this.lost;
        this.lost = 0;
        this.warn(`[gateway] file logging to ${this.path} resumed; ${lost} line(s) went to stderr only`);
      }
    } catch (error) {
      this.stop(error as NodeJS.ErrnoException);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  private open(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const fd = openSync(this.path, 'a', 0o600);
    try {
      const stat = fstatSync(fd);
      // A file made by someone else's umask or an older version: ours is owner-only.
      if (stat.isFile() && (stat.mode & 0o077) !== 0) chmodSync(this.path, 0o600);
      this.size = stat.isFile() ? stat.size : 0;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.fd = fd;
  }

  private append(bytes: Buffer): void {
    const fd = this.fd!;
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    } catch (error) {
      // Cut a half-written line off so the file stays whole lines.
      if (written > 0) {
        try {
          ftruncateSync(fd, this.size);
        } catch {
          // The disk refuses even that; readers skip a line that does not parse.
        }
      }
      throw error;
    }
    this.size += bytes.length;
  }

  private rotate(): void {
    fsyncSync(this.fd!);
    this.release();
    rmSync(`${this.path}.${this.maxFiles - 1}`, { force: true });
    for (let i = this.maxFiles - 2; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    if (this.maxFiles > 1) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.open();
  }

  private stop(error: NodeJS.ErrnoException): void {
    this.release();
    this.stoppedAtMs = this.now();
    this.lost++;
    const why = error.code === 'ENOSPC' ? 'the disk is full' : `${error.code ?? 'error'}: ${error.message}`;
    this.warn(`[gateway] error: writing ${this.path} failed (${why}); file logging stopped, lines go to stderr only; it retries in ${RETRY_AFTER_MS / 1000} s (free space or fix the directory)`);
  }

  private release(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already gone.
    }
    this.fd = undefined;
  }
}

/**
 * Reading the log back for `logs.tail`: the newest records that match, oldest first, across
 * gateway.log and its rotated files. The files are opened (and the current one's size noted) in one
 * synchronous step, so a follower subscribed in the same tick sees every later record exactly once:
 * rotation renames files, but an open descriptor keeps reading the one it opened.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { read } from 'node:fs';
import { promisify } from 'node:util';
import { LEVEL_ORDER } from './levels.js';
import type { LogRecord, RecordLevel } from './gateway-log.js';

const readAsync = promisify(read);
const CHUNK = 64 * 1024;
/** Beyond this much read, a filtered search stops and says so. */
export const MAX_SCAN_BYTES = 32 * 1024 * 1024;

export interface TailFilter {
  level?: RecordLevel;
  subsystem?: string;
}

export function matchesFilter(record: LogRecord, filter: TailFilter): boolean {
  if (filter.level && (LEVEL_ORDER[record.level] ?? 0) < LEVEL_ORDER[filter.level]) return false;
  if (filter.subsystem && record.subsystem !== filter.subsystem && !record.subsystem.startsWith(`${filter.subsystem}/`)) return false;
  return true;
}

/** Open descriptors and their sizes, newest file first. */
export interface TailSnapshot {
  files: { fd: number; size: number }[];
}

export function snapshotFiles(paths: readonly string[]): TailSnapshot {
  const files: TailSnapshot['files'] = [];
  for (const path of paths) {
    try {
      const fd = openSync(path, 'r');
      files.push({ fd, size: fstatSync(fd).size });
    } catch {
      // Rotated away between the listing and the open: its lines are in the next file.
    }
  }
  return { files };
}

/** A line of the file as a record, or undefined when it is not one (a torn or foreign line is skipped). */
export function parseRecord(line: string): LogRecord | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    if (typeof record.ts !== 'string' || typeof record.msg !== 'string' || typeof record.subsystem !== 'string') return undefined;
    if (typeof record.level !== 'string' || !(record.level in LEVEL_ORDER) || record.level === 'silent') return undefined;
    return record as LogRecord;
  } catch {
    return undefined;
  }
}

/** The newest `limit` matching records, oldest first; closes the snapshot's descriptors. */
export async function readTail(snapshot: TailSnapshot, limit: number, filter: TailFilter): Promise<{ records: LogRecord[]; truncated: boolean }> {
  const newestFirst: LogRecord[] = [];
  let scanned = 0;
  let truncated = false;
  try {
    outer: for (const file of snapshot.files) {
      let end = file.size;
      let carry = Buffer.alloc(0);
      while (end > 0) {
        if (scanned >= MAX_SCAN_BYTES) {
          truncated = true;
          break outer;
        }
        const start = Math.max(0, end - CHUNK);
        const chunk = Buffer.alloc(end - start);
        await readAsync(file.fd, chunk, 0, chunk.length, start);
        scanned += chunk.length;
        end = start;
        let data = Buffer.concat([chunk, carry]);
        // Everything before the first newline may be the end of a line that started earlier.
        let cut = start > 0 ? data.indexOf(10) : -1;
        if (start > 0 && cut < 0) {
          carry = data;
          continue;
        }
        carry = start > 0 ? data.subarray(0, cut + 1) : Buffer.alloc(0);
        data = start > 0 ? data.subarray(cut + 1) : data;
        const lines = data.toString('utf8').split('\n');
        for (let i = lines.length - 1; i >= 0; i--) {
          const line = lines[i]!;
          if (line === '') continue;
          const record = parseRecord(line);
          if (!record || !matchesFilter(record, filter)) continue;
          newestFirst.push(record);
          if (newestFirst.length >= limit) break outer;
        }
      }
    }
  } finally {
    for (const file of snapshot.files) {
      try {
        closeSync(file.fd);
      } catch {
        // Closed already.
      }
    }
  }
  return { records: newestFirst.reverse(), truncated };
}

/**
 * One session's transcript: `<sessionId>.jsonl`, one JSON entry per line, appended and never rewritten
 * (old tool results are pruned in memory before a model call, not on disk). Appends to one file are
 * serialised, each a single write; a line cut short by a crash is dropped when the transcript is read.
 */
import { promises as fs } from 'node:fs';

export type RunStatus = 'ok' | 'error' | 'aborted' | 'timeout' | 'cut-off';

export type TranscriptEntry =
  /** `sessionKey` lets a lost or damaged index be rebuilt from the transcripts. */
  | { type: 'run.start'; runId: string; ts: number; sessionKey?: string }
  | { type: 'run.end'; runId: string; ts: number; status: RunStatus; error?: string }
  | {
      type: 'message';
      ts: number;
      runId?: string;
      role: 'system' | 'user' | 'assistant' | 'tool';
      /** Text, or parts: `{type:'text', text}` and `{type:'image_ref', path, mimeType}` (the file, never base64). */
      content: unknown;
      toolCallId?: string;
      toolCalls?: unknown;
      /** Tool messages: the tool, the node that ran it, the files its media were saved to. */
      name?: string;
      node?: string;
      media?: { path: string; bytes: number; mimeType: string }[];
      isError?: boolean;
      /** Written by the gateway, not said by a person (the images-from-tools carrier, late results). */
      synthetic?: boolean;
    }
  | { type: 'compaction'; ts: number; runId?: string; removedEntries: number; how: 'summarised' | 'trimmed'; summary?: string };

export async function appendEntries(path: string, entries: readonly TranscriptEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await fs.appendFile(path, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''), { mode: 0o600 });
}

/** Every whole entry in the file; a torn or unreadable line is skipped, never fatal. */
export async function readEntries(path: string): Promise<{ entries: TranscriptEntry[]; skipped: number }> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0 };
    throw error;
  }
  const entries: TranscriptEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') entries.push(value as TranscriptEntry);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { entries, skipped };
}

/**
 * Makes sure the next append starts on a line of its own: a crash can leave the last line without its
 * newline, and gluing the next entry onto it would lose that entry too.
 */
export async function endWithNewline(path: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) await handle.write('\n', size);
  } finally {
    await handle.close();
  }
}

/** How much of a transcript's end is read to find a run left open; a run's last entries are small. */
const TAIL_BYTES = 64 * 1024;

/** The run a transcript ends inside of (a `run.start` after the last `run.end`): one the gateway stopped during. */
export async function openRunAtEnd(path: string): Promise<{ runId: string; ts: number } | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, size - length);
    const lines = tail.toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      let entry: unknown;
      try {
        entry = JSON.parse(lines[i]!);
      } catch {
        continue;
      }
      const typed = entry as { type?: unknown; runId?: unknown; ts?: unknown };
      if (typed.type === 'run.end') return undefined;
      if (typed.type === 'run.start' && typeof typed.runId === 'string' && typeof typed.ts === 'number') return { runId: typed.runId, ts: typed.ts };
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

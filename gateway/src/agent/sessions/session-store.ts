/**
 * The agent's sessions: `<stateDir>/agents/<agentId>/sessions/`, an index `sessions.json`
 * (session key → the current transcript and its last run) written atomically, and one append-only
 * `<sessionId>.jsonl` transcript per session. One run at a time per session; later runs queue in
 * order. A run that was still going when the gateway stopped is marked `cut-off` at the next start,
 * so a restart loses no session and never leaves a run looking alive.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { own } from '@tether/protocol';
import { ensurePrivateDir, readJsonFile, writeJsonAtomic, type AtomicWriteOptions } from '@tether/pairing';
import { parseSessionKey } from './session-key.js';
import { appendEntries, endWithNewline, openRunAtEnd, readEntries, type RunStatus, type TranscriptEntry } from './transcript.js';

export interface SessionRecord {
  sessionKey: string;
  sessionId: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** The latest run; `running` only while it runs (or until the next start marks it cut off). */
  lastRun?: { runId: string; status: RunStatus | 'running'; startedAtMs: number; endedAtMs?: number };
}

interface SessionIndex {
  version: 1;
  sessions: Record<string, SessionRecord>;
}

export interface RunContext {
  runId: string;
  sessionId: string;
  /** The transcript as it was when this run began (its own `run.start` included). */
  history: TranscriptEntry[];
  append: (entries: TranscriptEntry[]) => Promise<void>;
}

export class SessionStore {
  private readonly queues = new Map<string, Promise<unknown>>();
  private indexWrite: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly index: SessionIndex,
    private readonly now: () => number,
  ) {}

  static async open(options: { stateDir: string; agentId?: string; now?: () => number; log?: { warn(message: string): void } }): Promise<SessionStore> {
    const dir = join(options.stateDir, 'agents', options.agentId ?? 'main', 'sessions');
    ensurePrivateDir(dir);
    const indexPath = join(dir, 'sessions.json');
    const index = readIndex(indexPath) ?? (await setAside(indexPath, options.log));
    const adopted = await adoptTranscripts(dir, index);
    if (adopted > 0) {
      await writeJsonAtomic(indexPath, index);
      options.log?.warn(`the agent's session index did not name ${adopted} session transcript(s); added them from the transcripts`);
    }
    const store = new SessionStore(dir, index, options.now ?? Date.now);
    await store.markCutOffRuns();
    return store;
  }

  list(): SessionRecord[] {
    return Object.values(this.index.sessions).sort((a, b) => b.updatedAtMs - a.updatedAtMs);
  }

  get(sessionKey: string): SessionRecord | undefined {
    parseSessionKey(sessionKey);
    return own(this.index.sessions, sessionKey);
  }

  /** The transcript of the session's current id (empty for a session that does not exist yet). */
  async transcript(sessionKey: string): Promise<TranscriptEntry[]> {
    const record = this.get(sessionKey);
    return record ? (await readEntries(this.pathOf(record.sessionId))).entries : [];
  }

  /**
   * Runs `run` as the session's only run: it waits for earlier runs of that session, records
   * `run.start`/`run.end` around it, and hands it an `append` for its own entries.
   */
  async runExclusive<T>(
    sessionKey: string,
    run: (ctx: RunContext) => Promise<T>,
    options: { runId?: string } = {},
  ): Promise<T> {
    parseSessionKey(sessionKey);
    return this.exclusive(sessionKey, () => this.runNow(sessionKey, run, options.runId ?? randomUUID()));
  }

  /** Starts a fresh transcript for the key (the old file stays on disk, as OpenClaw's /new does). */
  async reset(sessionKey: string): Promise<SessionRecord> {
    parseSessionKey(sessionKey);
    return this.exclusive(sessionKey, async () => {
      const now = this.now();
      const record: SessionRecord = { sessionKey, sessionId: randomUUID(), createdAtMs: now, updatedAtMs: now };
      this.index.sessions[sessionKey] = record;
      await this.saveIndex();
      return record;
    });
  }

  /** Runs `fn` after everything queued for the key before it; a failure does not stop the queue. */
  private exclusive<T>(sessionKey: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(sessionKey) ?? Promise.resolve();
    const turn = previous.catch(() => undefined).then(fn);
    const tail = turn.catch(() => undefined);
    this.queues.set(sessionKey, tail);
    void tail.then(() => {
      if (this.queues.get(sessionKey) === tail) this.queues.delete(sessionKey);
    });
    return turn;
  }

  private async runNow<T>(sessionKey: string, run: (ctx: RunContext) => Promise<T>, runId: string): Promise<T> {
    const record = this.begin(sessionKey, runId);
    const path = this.pathOf(record.sessionId);
    const append = async (entries: TranscriptEntry[]) => {
      await appendEntries(path, entries);
      record.updatedAtMs = this.now();
    };
    await appendEntries(path, [{ type: 'run.start', runId, ts: this.now(), sessionKey }]);
    let status: RunStatus = 'ok';
    let failure: string | undefined;
    try {
      return await run({ runId, append, history: (await readEntries(path)).entries, sessionId: record.sessionId });
    } catch (error) {
      const name = (error as { name?: string })?.name;
      status = name === 'AbortError' ? 'aborted' : name === 'TimeoutError' ? 'timeout' : 'error';
      failure = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      const endedAtMs = this.now();
      await appendEntries(path, [{ type: 'run.end', runId, ts: endedAtMs, status, ...(failure !== undefined && { error: failure.slice(0, 2_000) }) }]);
      record.lastRun = { runId, status, startedAtMs: record.lastRun?.startedAtMs ?? endedAtMs, endedAtMs };
      record.updatedAtMs = endedAtMs;
      await this.saveIndex();
    }
  }

  private begin(sessionKey: string, runId: string): SessionRecord {
    const now = this.now();
    const existing = own(this.index.sessions, sessionKey);
    const record: SessionRecord = existing ?? { sessionKey, sessionId: randomUUID(), createdAtMs: now, updatedAtMs: now };
    record.lastRun = { runId, status: 'running', startedAtMs: now };
    record.updatedAtMs = now;
    this.index.sessions[sessionKey] = record;
    // Nothing is written to the index before the run (its fsyncs were most of the time to the first
    // token): a run that was going when the gateway stopped is found from its transcript at the next
    // start, and so is a new session's transcript that the index never got to name (its run.start
    // entries carry the session key).
    return record;
  }

  private async markCutOffRuns(): Promise<void> {
    let changed = false;
    for (const record of Object.values(this.index.sessions)) {
      const path = this.pathOf(record.sessionId);
      await endWithNewline(path);
      const open = await openRunAtEnd(path);
      if (!open && record.lastRun?.status !== 'running') continue;
      const runId = open?.runId ?? record.lastRun!.runId;
      const endedAtMs = this.now();
      await appendEntries(path, [{ type: 'run.end', runId, ts: endedAtMs, status: 'cut-off', error: 'the gateway stopped while this run was going' }]);
      record.lastRun = { runId, status: 'cut-off', startedAtMs: open?.ts ?? record.lastRun!.startedAtMs, endedAtMs };
      changed = true;
    }
    if (changed) await this.saveIndex();
  }

  private saveIndex(options: AtomicWriteOptions = {}): Promise<void> {
    // Serialised: two runs finishing together must not race their atomic renames.
    const write = this.indexWrite.catch(() => undefined).then(() => writeJsonAtomic(join(this.dir, 'sessions.json'), this.index, 0o600, options));
    this.indexWrite = write;
    return write;
  }

  private pathOf(sessionId: string): string {
    return join(this.dir, `${sessionId}.jsonl`);
  }
}

/** The index, or undefined when it is damaged (then rebuilt from the transcripts). */
function readIndex(path: string): SessionIndex | undefined {
  let value: unknown;
  try {
    value = readJsonFile(path);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (value === undefined) return { version: 1, sessions: Object.create(null) as Record<string, SessionRecord> };
  const index = value as Partial<SessionIndex>;
  if (index.version !== 1 || typeof index.sessions !== 'object' || index.sessions === null) return undefined;
  for (const record of Object.values(index.sessions)) {
    if (typeof record?.sessionId !== 'string' || !SESSION_ID.test(record.sessionId)) return undefined;
  }
  return { version: 1, sessions: Object.assign(Object.create(null) as Record<string, SessionRecord>, index.sessions) };
}

const SESSION_ID = /^[0-9a-f-]{36}$/;

/** A damaged index is moved aside, and the sessions are then found again from their transcripts. */
async function setAside(indexPath: string, log?: { warn(message: string): void }): Promise<SessionIndex> {
  const aside = `${indexPath}.damaged-${Date.now()}`;
  await fs.rename(indexPath, aside).catch(() => undefined);
  log?.warn(`the agent's session index was damaged; moved it to ${aside} and rebuilding it from the transcripts`);
  return { version: 1, sessions: Object.create(null) as Record<string, SessionRecord> };
}

/**
 * Indexes the transcripts the index does not name: a new session's first run that the gateway stopped
 * during, or every session when the index was lost. Each transcript's run.start entries name their
 * session; the newest transcript of a key is its current one. Returns how many were added.
 */
async function adoptTranscripts(dir: string, index: SessionIndex): Promise<number> {
  const named = new Set(Object.values(index.sessions).map((record) => record.sessionId));
  let adopted = 0;
  for (const name of await fs.readdir(dir)) {
    const sessionId = name.replace(/\.jsonl$/, '');
    if (sessionId === name || !SESSION_ID.test(sessionId) || named.has(sessionId)) continue;
    const { entries } = await readEntries(join(dir, name));
    const starts = entries.filter((e): e is Extract<TranscriptEntry, { type: 'run.start' }> => e.type === 'run.start' && typeof e.sessionKey === 'string');
    const last = starts.at(-1);
    if (!last?.sessionKey) continue;
    const end = entries.find((e) => e.type === 'run.end' && e.runId === last.runId) as Extract<TranscriptEntry, { type: 'run.end' }> | undefined;
    const record: SessionRecord = {
      sessionKey: last.sessionKey,
      sessionId,
      createdAtMs: entries[0]!.ts,
      updatedAtMs: entries.at(-1)!.ts,
      lastRun: { runId: last.runId, status: end?.status ?? 'running', startedAtMs: last.ts, ...(end ? { endedAtMs: end.ts } : {}) },
    };
    const known = own(index.sessions, last.sessionKey);
    if (known && known.updatedAtMs >= record.updatedAtMs) continue;
    index.sessions[last.sessionKey] = record;
    adopted++;
  }
  return adopted;
}

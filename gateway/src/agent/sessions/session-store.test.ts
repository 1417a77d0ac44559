import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN_SESSION_KEY, parseSessionKey } from './session-key.js';
import { SessionStore } from './session-store.js';

const dirs: string[] = [];
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-sessions-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('session keys', () => {
  it.each(['agent:main:main', 'agent:main:telegram:dm:12345', 'agent:ops:slack:T01:group:C9', 'agent:main:node-1f2e'])('accepts %s', (key) => {
    expect(() => parseSessionKey(key)).not.toThrow();
  });
  it.each(['main', 'agent:main', 'agent:main:../../etc/passwd', 'agent:main:a/b', 'agent:Main:main', 'agent:main:x\u001b[2J', `agent:main:${'x'.repeat(200)}`, 'agent:main:a::b'])(
    'refuses %j with a message that shows the shape',
    (key) => expect(() => parseSessionKey(key)).toThrow(/agent:<agent>:<name>/),
  );
});

describe('SessionStore', () => {
  it('records a run and its messages in an append-only transcript, and lists the session', async () => {
    const store = await SessionStore.open({ stateDir: stateDir() });
    const result = await store.runExclusive(MAIN_SESSION_KEY, async ({ runId, append }) => {
      await append([{ type: 'message', ts: 1, runId, role: 'user', content: 'is the garage door open?' }]);
      await append([{ type: 'message', ts: 2, runId, role: 'assistant', content: 'It is closed.' }]);
      return runId;
    });
    const entries = await store.transcript(MAIN_SESSION_KEY);
    expect(entries.map((e) => e.type)).toEqual(['run.start', 'message', 'message', 'run.end']);
    expect(entries.at(-1)).toMatchObject({ type: 'run.end', runId: result, status: 'ok' });
    expect(store.list()).toEqual([expect.objectContaining({ sessionKey: MAIN_SESSION_KEY, lastRun: expect.objectContaining({ runId: result, status: 'ok' }) })]);
  });

  it('runs one at a time per session, in order; other sessions are not held up', async () => {
    const store = await SessionStore.open({ stateDir: stateDir() });
    const order: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const first = store.runExclusive(MAIN_SESSION_KEY, async () => {
      order.push('first:start');
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      order.push('first:end');
    });
    const second = store.runExclusive(MAIN_SESSION_KEY, async () => void order.push('second'));
    await store.runExclusive('agent:main:other', async () => void order.push('other'));
    await new Promise((r) => setTimeout(r, 20));
    releaseFirst();
    await Promise.all([first, second]);
    // The other session ran while the first was still going; the second waited for the first.
    expect(order.indexOf('other')).toBeLessThan(order.indexOf('first:end'));
    expect(order.filter((step) => step !== 'other')).toEqual(['first:start', 'first:end', 'second']);
  });

  it('a failed run is recorded as such and does not block the next', async () => {
    const store = await SessionStore.open({ stateDir: stateDir() });
    await expect(store.runExclusive(MAIN_SESSION_KEY, async () => Promise.reject(new Error('model down')))).rejects.toThrow('model down');
    await store.runExclusive(MAIN_SESSION_KEY, async () => undefined);
    const ends = (await store.transcript(MAIN_SESSION_KEY)).filter((e) => e.type === 'run.end');
    expect(ends.map((e) => e.type === 'run.end' && e.status)).toEqual(['error', 'ok']);
  });

  it('a restart marks a run that was cut off, drops a torn line, and loses no session', async () => {
    const dir = stateDir();
    const store = await SessionStore.open({ stateDir: dir });
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    // A run that never ends in this "process".
    void store.runExclusive(MAIN_SESSION_KEY, async ({ runId, append }) => {
      await append([{ type: 'message', ts: 1, runId, role: 'user', content: 'hello' }]);
      started();
      await new Promise(() => undefined);
    });
    await running;
    const sessionsDir = join(dir, 'agents', 'main', 'sessions');
    const transcript = readdirSync(sessionsDir).find((name) => name.endsWith('.jsonl'))!;
    appendFileSync(join(sessionsDir, transcript), '{"type":"message","ts":2,"role":"assis');

    const reopened = await SessionStore.open({ stateDir: dir });
    expect(reopened.get(MAIN_SESSION_KEY)?.lastRun?.status).toBe('cut-off');
    const entries = await reopened.transcript(MAIN_SESSION_KEY);
    expect(entries.map((e) => e.type)).toEqual(['run.start', 'message', 'run.end']);
    expect(entries.at(-1)).toMatchObject({ status: 'cut-off' });
    await reopened.runExclusive(MAIN_SESSION_KEY, async () => undefined);
    expect(readFileSync(join(sessionsDir, transcript), 'utf8').split('\n').filter(Boolean).length).toBe(6);
  });

  it('reset starts a fresh transcript and keeps the old file', async () => {
    const dir = stateDir();
    const store = await SessionStore.open({ stateDir: dir });
    await store.runExclusive(MAIN_SESSION_KEY, async () => undefined);
    const before = store.get(MAIN_SESSION_KEY)!.sessionId;
    const after = await store.reset(MAIN_SESSION_KEY);
    expect(after.sessionId).not.toBe(before);
    expect(await store.transcript(MAIN_SESSION_KEY)).toEqual([]);
    expect(readdirSync(join(dir, 'agents', 'main', 'sessions'))).toContain(`${before}.jsonl`);
  });

  it('refuses a key that could escape the sessions directory', async () => {
    const store = await SessionStore.open({ stateDir: stateDir() });
    await expect(store.runExclusive('agent:main:../../x', async () => undefined)).rejects.toThrow(/invalid session key/);
  });
});

describe('SessionStore after a power cut', () => {
  it.each([
    ['empty', ''],
    ['torn', '{"version":1,"sessions":{"agent:main:main":{"sessionId":"'],
    ['not an index', '[1,2,3]'],
  ])('rebuilds an %s index from the transcripts, keeps the damaged file, and marks the run that was going', async (_name, damaged) => {
    const dir = stateDir();
    const store = await SessionStore.open({ stateDir: dir });
    await store.runExclusive('agent:main:kept', async ({ append, runId }) => append([{ type: 'message', ts: 1, runId, role: 'user', content: 'remember me' }]));
    void store.runExclusive(MAIN_SESSION_KEY, () => new Promise(() => undefined));
    await new Promise((r) => setTimeout(r, 50));
    const sessionsDir = join(dir, 'agents', 'main', 'sessions');
    writeFileSync(join(sessionsDir, 'sessions.json'), damaged);

    const warnings: string[] = [];
    const reopened = await SessionStore.open({ stateDir: dir, log: { warn: (m) => warnings.push(m) } });
    expect(warnings).toEqual([expect.stringContaining('was damaged'), expect.stringContaining('did not name 2 session transcript(s)')]);
    expect(readdirSync(sessionsDir).some((name) => name.startsWith('sessions.json.damaged-'))).toBe(true);
    expect(reopened.get('agent:main:kept')?.lastRun?.status).toBe('ok');
    expect((await reopened.transcript('agent:main:kept')).some((e) => e.type === 'message' && e.content === 'remember me')).toBe(true);
    expect(reopened.get(MAIN_SESSION_KEY)?.lastRun?.status).toBe('cut-off');
  });
});

describe('SessionStore cut-off runs of existing sessions', () => {
  it('finds a run the gateway stopped during from the transcript, though the index still shows the last finished one', async () => {
    const dir = stateDir();
    const store = await SessionStore.open({ stateDir: dir });
    await store.runExclusive(MAIN_SESSION_KEY, async () => undefined, { runId: 'first' });
    void store.runExclusive(MAIN_SESSION_KEY, () => new Promise(() => undefined), { runId: 'second' });
    await new Promise((r) => setTimeout(r, 50));
    const reopened = await SessionStore.open({ stateDir: dir });
    expect(reopened.get(MAIN_SESSION_KEY)?.lastRun).toMatchObject({ runId: 'second', status: 'cut-off' });
    const ends = (await reopened.transcript(MAIN_SESSION_KEY)).filter((e) => e.type === 'run.end');
    expect(ends.map((e) => [e.runId, e.type === 'run.end' && e.status])).toEqual([
      ['first', 'ok'],
      ['second', 'cut-off'],
    ]);
  });
});

describe('SessionStore: a new session the index never named', () => {
  it('is found from its transcript at the next start, its first run marked cut off', async () => {
    const dir = stateDir();
    const store = await SessionStore.open({ stateDir: dir });
    void store.runExclusive('agent:main:brand-new', async ({ append, runId }) => {
      await append([{ type: 'message', ts: 1, runId, role: 'user', content: 'first words' }]);
      await new Promise(() => undefined);
    });
    await new Promise((r) => setTimeout(r, 50));
    const reopened = await SessionStore.open({ stateDir: dir });
    expect(reopened.get('agent:main:brand-new')?.lastRun?.status).toBe('cut-off');
    expect((await reopened.transcript('agent:main:brand-new')).some((e) => e.type === 'message' && e.content === 'first words')).toBe(true);
  });
});

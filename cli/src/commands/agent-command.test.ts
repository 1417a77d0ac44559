/**
 * `tether agent` / `tether sessions` wired end to end against a scripted WebSocket gateway (not the real
 * one: its agent side lives elsewhere for now). Checks what the command asks for (caps, params), what it
 * prints and its exit codes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { hasUnsafeChars } from '@tether/protocol';
import { main } from '../main.js';

const HELLO = {
  type: 'hello-ok',
  protocol: 3,
  server: { version: 'test', connId: 'c1' },
  features: { methods: [], events: [] },
  snapshot: { presence: [], health: {}, stateVersion: { presence: 0, health: 0 }, uptimeMs: 0 },
  policy: { maxPayload: 1_000_000, maxBufferedBytes: 1_000_000, tickIntervalMs: 30_000 },
};

type Req = { id: string; method: string; params: Record<string, unknown> };
type Handler = (req: Req, reply: (frame: Record<string, unknown>) => void) => void;

let server: WebSocketServer;
let url: string;
let stateDir: string;
let connectParams: Record<string, unknown>[] = [];
let requests: Req[] = [];
let handler: Handler = () => undefined;

beforeEach(async () => {
  connectParams = [];
  requests = [];
  stateDir = mkdtempSync(join(tmpdir(), 'tether-cli-agent-'));
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  server.on('connection', (ws: WebSocket) => {
    const reply = (frame: Record<string, unknown>) => ws.send(JSON.stringify(frame));
    reply({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: Date.now() } });
    ws.on('message', (data) => {
      const req = JSON.parse(String(data)) as Req;
      if (req.method === 'connect') {
        connectParams.push(req.params);
        reply({ type: 'res', id: req.id, ok: true, payload: HELLO });
        return;
      }
      requests.push(req);
      handler(req, reply);
    });
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(stateDir, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  return { out: () => out.join(''), err: () => err.join('') };
}

const run = (...args: string[]) => main(['node', 'tether', ...args, '--url', url, '--token', 't'.repeat(32), '--state-dir', stateDir]);

function agentEvent(runId: string, seq: number, stream: string, data: Record<string, unknown>) {
  return { type: 'event', event: 'agent', payload: { runId, seq, stream, ts: Date.now(), sessionKey: 'agent:main:main', data } };
}

describe('tether agent', () => {
  it('declares tool-events, streams text and tool steps, and exits 0 on ok', async () => {
    handler = (req, reply) => {
      if (req.method !== 'agent') return;
      const runId = String(req.params.idempotencyKey);
      reply({ type: 'res', id: req.id, ok: true, payload: { runId, status: 'accepted', acceptedAt: Date.now() } });
      reply(agentEvent(runId, 1, 'lifecycle', { phase: 'start' }));
      reply(agentEvent(runId, 2, 'assistant', { text: 'Snapping\x1b[2J', delta: 'Snapping\x1b[2J' }));
      reply(agentEvent('someone-else', 1, 'assistant', { text: 'NOT MINE', delta: 'NOT MINE' }));
      reply(agentEvent(runId, 3, 'tool', { phase: 'start', name: 'nodes', toolCallId: 't', args: { command: 'camera.snap' }, node: 'pi' }));
      reply(agentEvent(runId, 4, 'tool', { phase: 'result', name: 'nodes', toolCallId: 't', isError: false, durationMs: 800, node: 'pi', command: 'camera.snap', savedTo: ['/m/p.jpg'] }));
      reply(agentEvent(runId, 5, 'assistant', { text: 'Saved.', delta: 'Saved.' }));
      reply(agentEvent(runId, 6, 'lifecycle', { phase: 'end' }));
      reply({ type: 'res', id: req.id, ok: true, payload: { runId, status: 'ok', summary: 'completed', result: { payloads: [{ text: 'Saved.' }], meta: { durationMs: 900, agentMeta: { sessionId: 's', sessionKey: 'agent:main:main' } } } } });
    };
    const io = capture();
    const code = await run('agent', '-m', 'snap', '--session', 'agent:main:main', '--timeout', '60');
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    expect(connectParams[0]!.caps).toEqual(['tool-events']);
    expect(requests[0]!.params).toMatchObject({ message: 'snap', sessionKey: 'agent:main:main', timeout: 60 });
    expect(io.out()).toBe('Snapping[2J\n[tool] nodes · node pi · camera.snap …\n[tool] nodes · node pi · camera.snap · ok 800ms\n       saved /m/p.jpg\nSaved.\n');
  });

  it('prints the gateway error (AGENT_NOT_CONFIGURED names the config keys) and exits 1', async () => {
    handler = (req, reply) =>
      reply({ type: 'res', id: req.id, ok: false, error: { code: 'UNAVAILABLE', message: 'no model is configured: set agent.model and agent.baseUrl', details: { code: 'AGENT_NOT_CONFIGURED' } } });
    const io = capture();
    expect(await run('agent', '-m', 'hi')).toBe(1);
    expect(io.err()).toBe('error: no model is configured: set agent.model and agent.baseUrl [AGENT_NOT_CONFIGURED]\n');
  });

  it('a timed-out run exits 124; --json prints the final payload', async () => {
    handler = (req, reply) => {
      const runId = String(req.params.idempotencyKey);
      reply({ type: 'res', id: req.id, ok: true, payload: { runId, status: 'accepted', acceptedAt: 1 } });
      reply({ type: 'res', id: req.id, ok: true, payload: { runId, status: 'timeout', summary: 'the run hit its 60 s limit' } });
    };
    const io = capture();
    expect(await run('agent', '-m', 'hi', '--json')).toBe(124);
    expect(JSON.parse(io.out())).toMatchObject({ status: 'timeout' });
  });

  it('Ctrl-C sends chat.abort for the run and exits 130', async () => {
    const sigintListeners = process.listenerCount('SIGINT');
    handler = (req, reply) => {
      if (req.method === 'agent') {
        const runId = String(req.params.idempotencyKey);
        reply({ type: 'res', id: req.id, ok: true, payload: { runId, status: 'accepted', acceptedAt: 1 } });
        reply(agentEvent(runId, 1, 'assistant', { text: 'thinking', delta: 'thinking' }));
        // The person presses Ctrl-C once the reply has started.
        setTimeout(() => process.emit('SIGINT'), 20);
        handler = (abort, send) => {
          send({ type: 'res', id: abort.id, ok: true, payload: { ok: true, aborted: true, runIds: [runId] } });
          send({ type: 'res', id: req.id, ok: true, payload: { runId, status: 'aborted', summary: 'aborted' } });
        };
      }
    };
    const io = capture();
    expect(await run('agent', '-m', 'hi')).toBe(130);
    const abort = requests.find((r) => r.method === 'chat.abort')!;
    expect(abort.params).toEqual({ sessionKey: 'agent:main:main', runId: requests[0]!.params.idempotencyKey });
    expect(io.out()).toBe('thinking\n');
    expect(io.err()).toContain('interrupted: the run was aborted');
    expect(process.listenerCount('SIGINT')).toBe(sigintListeners);
  });

  it('rejects a bad --timeout as usage (exit 2) before connecting', async () => {
    const io = capture();
    expect(await run('agent', '-m', 'hi', '--timeout', '1.5')).toBe(2);
    expect(io.err()).toContain('--timeout takes seconds');
    expect(connectParams).toHaveLength(0);
  });
});

describe('tether sessions', () => {
  it('list renders a table of hostile keys safely', async () => {
    handler = (req, reply) =>
      reply({ type: 'res', id: req.id, ok: true, payload: { ts: Date.now(), count: 1, defaults: { mainSessionKey: 'agent:main:main' }, sessions: [{ key: 'agent:main:\x1b[2Jx', sessionId: 's', createdAt: 0, updatedAt: Date.now() }] } });
    const io = capture();
    expect(await run('sessions', 'list')).toBe(0);
    expect(requests[0]!.method).toBe('sessions.list');
    expect(hasUnsafeChars(io.out().replace(/\n/g, ''))).toBe(false);
    expect(io.out()).toContain('agent:main:\\x1b[2Jx');
  });

  it('show asks chat.history with the limit; reset asks sessions.reset', async () => {
    handler = (req, reply) => {
      if (req.method === 'chat.history') reply({ type: 'res', id: req.id, ok: true, payload: { sessionKey: 'k', sessionId: 's', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }], timestamp: 0 }] } });
      else reply({ type: 'res', id: req.id, ok: true, payload: { ok: true, key: 'k', sessionId: 's2' } });
    };
    const io = capture();
    expect(await run('sessions', 'show', 'k', '--limit', '5')).toBe(0);
    expect(await run('sessions', 'reset', 'k')).toBe(0);
    expect(requests.map((r) => [r.method, r.params])).toEqual([
      ['chat.history', { sessionKey: 'k', limit: 5 }],
      ['sessions.reset', { key: 'k' }],
    ]);
    expect(io.out()).toContain('  hi\n');
    expect(io.out()).toContain('Session k reset (new session s2).');
  });
});

describe('tether chat', () => {
  it('runs one turn per line in the main session, /reset resets it, /exit quits with 0', async () => {
    handler = (req, reply) => {
      if (req.method === 'sessions.list') reply({ type: 'res', id: req.id, ok: true, payload: { ts: 0, count: 0, defaults: { mainSessionKey: 'agent:main:chat' }, sessions: [] } });
      else if (req.method === 'sessions.reset') reply({ type: 'res', id: req.id, ok: true, payload: { ok: true, key: 'agent:main:chat', sessionId: 'fresh' } });
      else if (req.method === 'agent') {
        const runId = String(req.params.idempotencyKey);
        reply({ type: 'res', id: req.id, ok: true, payload: { runId, status: 'accepted', acceptedAt: 1 } });
        reply(agentEvent(runId, 1, 'assistant', { text: `echo: ${String(req.params.message)}\r\x1b[2K`, delta: '' }));
        reply({ type: 'res', id: req.id, ok: true, payload: { runId, status: 'ok', summary: 'completed' } });
      }
    };
    const input = new PassThrough();
    vi.spyOn(process, 'stdin', 'get').mockReturnValue(input as never);
    const io = capture();
    const done = run('chat');
    input.write('hello\n\n/reset\nsecond\n/exit\n');
    expect(await done).toBe(0);
    const agentRuns = requests.filter((r) => r.method === 'agent');
    expect(agentRuns.map((r) => [r.params.message, r.params.sessionKey])).toEqual([
      ['hello', 'agent:main:chat'],
      ['second', 'agent:main:chat'],
    ]);
    expect(requests.find((r) => r.method === 'sessions.reset')!.params).toEqual({ key: 'agent:main:chat' });
    const out = io.out();
    expect(out).toContain('echo: hello[2K\n');
    expect(out).toContain('Session agent:main:chat reset (new session fresh).');
    expect(out).toContain('echo: second[2K\n');
    expect(hasUnsafeChars(out.replace(/\n/g, ''))).toBe(false);
  });
});

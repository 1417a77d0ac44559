/**
 * `openclaw agent` (OpenClaw's own CLI) driving our gateway's embedded agent, with every frame on the
 * wire recorded by a man-in-the-middle (capture-frames.mjs) so the test pins what OpenClaw sends and
 * what it accepts back. The agent's model is the scripted OpenAI-compatible server.
 *
 * `openclaw agent` has no --url/--token flags (unlike `openclaw nodes …`): it goes to a remote
 * gateway when its config says `gateway.mode: "remote"` (or OPENCLAW_GATEWAY_URL is set), with
 * `gateway.remote.url` and `gateway.remote.token`. It sends one `agent` request with
 * `expectFinal: true`, skips the `accepted` answer and prints the final answer's payload texts; it
 * subscribes to no events. With `--to` (or no selector) it first asks `agents.list` on a read-only
 * connection. Exit 0 needs the final `status` to be "ok" (or "completed").
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentFinalSchema, AgentsListResultSchema } from '@tether/protocol';
import { Value } from '@sinclair/typebox/value';
import { sharedToken } from '../helpers/clients.js';
import { cleanup, spawnProcess, tempDir, type CliResult, type GatewayProcess } from '../helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.js';
import { startAgentGateway } from '../agent/agent-helpers.js';
import { startCapture } from './capture-frames.mjs';
import { CURRENT, LEGACY, openclawArgs, openclawHome, runOpenclaw, type OpenclawHome, type OpenclawVersion } from './helpers/openclaw.js';

interface Captured {
  conn: number;
  dir: string;
  frame?: any;
}

let model: ScriptedModel;
let gateway: GatewayProcess;
let capture: ReturnType<typeof startCapture>;
let framesFile: string;
let homes: Record<OpenclawVersion, OpenclawHome>;

beforeAll(async () => {
  model = await startScriptedModel();
  gateway = await startAgentGateway(model);
  framesFile = join(tempDir('openclaw-agent-frames-'), 'frames.jsonl');
  const port = await new Promise<number>((resolve) => {
    capture = startCapture({ listen: 0, upstream: gateway.url, out: framesFile, onListening: resolve });
  });
  const remote = { gateway: { mode: 'remote', remote: { url: `ws://127.0.0.1:${port}`, token: sharedToken(gateway.stateDir) } } };
  // 2026.4.24 installs every bundled plugin's runtime deps from npm at start unless plugins are off.
  homes = { [CURRENT]: openclawHome(CURRENT, remote), [LEGACY]: openclawHome(LEGACY, { ...remote, plugins: { enabled: false } }) } as Record<OpenclawVersion, OpenclawHome>;
});
afterAll(async () => {
  // TETHER_CAPTURE_OUT=<file.jsonl> keeps the redacted frames (e.g. for test/fixtures/openclaw/).
  if (process.env.TETHER_CAPTURE_OUT && framesFile) copyFileSync(framesFile, process.env.TETHER_CAPTURE_OUT);
  await new Promise<void>((resolve) => (capture ? capture.close(() => resolve()) : resolve()));
  await model?.close();
  await cleanup();
});

function readFrames(): Captured[] {
  try {
    return readFileSync(framesFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Captured);
  } catch {
    return [];
  }
}

interface Run extends CliResult {
  /** The frames of this invocation only (every connection it opened). */
  frames: Captured[];
  sent: (method: string) => any[];
  /** Every `res` the gateway sent to the request with this id, in order. */
  answers: (id: string) => any[];
}

async function openclawAgent(args: string[], expectCode = 0, version: OpenclawVersion = CURRENT): Promise<Run> {
  const before = readFrames().length;
  const result = await runOpenclaw(version, homes[version], ['agent', ...args], 120_000);
  // The capture appends synchronously as frames pass, so all are on disk once the CLI has exited.
  const frames = readFrames().slice(before);
  if (result.code !== expectCode) {
    throw new Error(`openclaw agent ${args.join(' ')} exited ${result.code}, not ${expectCode}:\n${result.stdout}\n${result.stderr}\nframes:\n${frames.map((f) => JSON.stringify(f)).join('\n').slice(-8000)}`);
  }
  const wire = frames.filter((f) => f.frame);
  return {
    ...result,
    frames,
    sent: (method) => wire.filter((f) => f.dir === 'client->gateway' && f.frame.type === 'req' && f.frame.method === method).map((f) => f.frame),
    answers: (id) => wire.filter((f) => f.dir === 'gateway->client' && f.frame.type === 'res' && f.frame.id === id).map((f) => f.frame),
  };
}

/** The methods the CLI called, in order, without the handshake. */
function methodsCalled(run: Run): string[] {
  return run.frames.filter((f) => f.dir === 'client->gateway' && f.frame?.type === 'req' && f.frame.method !== 'connect').map((f) => f.frame.method);
}

/** The one `agent` request of a run, checked to have got `accepted` then a final answer; returns both. */
function agentExchange(run: Run): { request: any; accepted: any; final: any } {
  const requests = run.sent('agent');
  expect(requests).toHaveLength(1);
  const request = requests[0]!;
  const answers = run.answers(request.id);
  expect(answers.map((a) => [a.ok, a.payload?.status ?? a.error?.code])).toEqual([[true, 'accepted'], expect.any(Array)]);
  expect(answers[0].payload).toEqual({ runId: request.params.idempotencyKey, status: 'accepted', acceptedAt: expect.any(Number), sessionKey: expect.any(String) });
  if (request.params.sessionKey) expect(answers[0].payload.sessionKey).toBe(request.params.sessionKey);
  return { request, accepted: answers[0].payload, final: answers[1] };
}

describe('openclaw@2026.9.6 agent → tether gateway agent', () => {
  it('sends one agent request, and prints the whole streamed answer and exits 0', async () => {
    const answer = 'The mesh is up: three nodes are connected and the last camera snap was at noon.';
    model.script(reply.text(answer, { delayMs: 20 }));
    const run = await openclawAgent(['--session-key', 'agent:main:interop', '--message', 'Is the mesh up?']);
    expect(run.stdout.trim()).toBe(answer);

    // What OpenClaw sends: a CLI operator asking for operator.write only, no device identity (a
    // token on loopback), then exactly one `agent` request and nothing else.
    const connect = run.sent('connect');
    expect(connect).toHaveLength(1);
    expect(connect[0].params).toMatchObject({ minProtocol: 4, maxProtocol: 4, role: 'operator', scopes: ['operator.write'], client: { id: 'cli', mode: 'cli' } });
    expect(connect[0].params.device).toBeUndefined();
    expect(methodsCalled(run)).toEqual(['agent']);
    const { request, final } = agentExchange(run);
    expect(request.params).toEqual({ message: 'Is the mesh up?', sessionKey: 'agent:main:interop', deliver: false, timeout: 600, idempotencyKey: expect.any(String) });

    // What it accepts back: the final answer under the same request id.
    expect(final.ok).toBe(true);
    expect(Value.Check(AgentFinalSchema, final.payload)).toBe(true);
    expect(final.payload).toMatchObject({
      runId: request.params.idempotencyKey,
      status: 'ok',
      summary: 'completed',
      result: { payloads: [{ text: answer }], meta: { agentMeta: { sessionKey: 'agent:main:interop', sessionId: expect.any(String) } } },
    });
    expect(sentToModel(model.requests.length - 1).at(-1)).toMatchObject({ role: 'user', content: expect.stringContaining('Is the mesh up?') });
  });

  it('--json prints the final answer as it came', async () => {
    model.script(reply.text('Second turn, same session.'));
    const run = await openclawAgent(['--session-key', 'agent:main:interop', '--message', 'And now?', '--json']);
    const printed = JSON.parse(run.stdout) as any;
    const { final } = agentExchange(run);
    expect(printed).toEqual(final.payload);
    expect(printed.status).toBe('ok');
    expect(printed.result.payloads).toEqual([{ text: 'Second turn, same session.' }]);
    // The session kept the first turn.
    const messages = sentToModel(model.requests.length - 1);
    expect(messages.some((m) => m.role === 'assistant' && String(m.content).includes('The mesh is up'))).toBe(true);
  });

  it('completes a run in which the model calls a tool (list_nodes)', async () => {
    model.script(reply.toolCalls([{ name: 'list_nodes', arguments: {} }]), reply.text('No nodes are connected right now.'));
    const first = model.requests.length;
    const run = await openclawAgent(['--session-key', 'agent:main:tools', '--message', 'Which nodes are there?', '--json']);
    const printed = JSON.parse(run.stdout) as any;
    expect(printed).toMatchObject({ status: 'ok', result: { payloads: [{ text: 'No nodes are connected right now.' }], meta: { toolRounds: 1 } } });
    expect(model.requests.length).toBe(first + 2);
    expect(model.requests[first]!.body.tools.map((t: any) => t.function.name)).toContain('list_nodes');
    const tool = sentToModel(first + 1).find((m) => m.role === 'tool');
    expect(tool).toMatchObject({ tool_call_id: expect.any(String) });
    // The CLI asked for no tool events (no `tool-events` cap), so none reached it.
    expect(run.frames.some((f) => f.frame?.type === 'event' && f.frame.event === 'agent')).toBe(false);
    agentExchange(run);

    const plain = await (async () => {
      model.script(reply.toolCalls([{ name: 'list_nodes' }]), reply.text('Still none.'));
      return openclawAgent(['--session-key', 'agent:main:tools', '--message', 'And now?']);
    })();
    expect(plain.stdout.trim()).toBe('Still none.');
  });

  it('--to asks agents.list first, then runs as agent main', async () => {
    model.script(reply.text('Hello, +15555550123.'));
    const run = await openclawAgent(['--to', '+15555550123', '--message', 'hi']);
    expect(run.stdout.trim()).toBe('Hello, +15555550123.');
    expect(methodsCalled(run)).toEqual(['agents.list', 'agent']);
    const list = run.sent('agents.list')[0]!;
    expect(list.params).toEqual({});
    const listed = run.answers(list.id)[0]!;
    expect(listed.ok).toBe(true);
    expect(Value.Check(AgentsListResultSchema, listed.payload)).toBe(true);
    // agents.list is asked on its own connection with operator.read.
    const listConn = run.frames.find((f) => f.frame?.id === list.id)!.conn;
    expect(run.frames.find((f) => f.conn === listConn && f.frame?.method === 'connect')!.frame.params.scopes).toEqual(['operator.read']);
    const { request, final } = agentExchange(run);
    expect(request.params).toMatchObject({ message: 'hi', agentId: 'main', to: '+15555550123', deliver: false });
    expect(final.payload.result.meta.agentMeta.sessionKey).toBe(request.params.sessionKey);
  });

  it('--agent main runs in the main session', async () => {
    model.script(reply.text('Main session here.'));
    const run = await openclawAgent(['--agent', 'main', '--message', 'hi', '--json']);
    const { request, final } = agentExchange(run);
    expect(methodsCalled(run)).toEqual(['agent']);
    expect(request.params).toMatchObject({ agentId: 'main' });
    expect(request.params.sessionKey).toBeUndefined();
    expect(final.payload.result.meta.agentMeta.sessionKey).toBe('agent:main:main');
    expect(JSON.parse(run.stdout).result.payloads).toEqual([{ text: 'Main session here.' }]);
  });

  it('--session-id resumes the session that has that id', async () => {
    const { sessionId } = JSON.parse((await (async () => {
      model.script(reply.text('Remember: blue.'));
      return openclawAgent(['--session-key', 'agent:main:resume', '--message', 'remember blue', '--json']);
    })()).stdout).result.meta.agentMeta;
    model.script(reply.text('It was blue.'));
    const run = await openclawAgent(['--session-id', sessionId, '--message', 'what was it?', '--json']);
    const { request, final } = agentExchange(run);
    expect(request.params).toMatchObject({ sessionId });
    expect(request.params.sessionKey).toBeUndefined();
    expect(final.payload.result.meta.agentMeta).toEqual({ sessionId, sessionKey: 'agent:main:resume' });
  });

  it('Ctrl-C aborts the accepted run with chat.abort on the same connection (exit 130)', async () => {
    model.script(reply.hang({ textBefore: 'Thinking' }));
    const before = readFrames().length;
    const [command, args] = openclawArgs(CURRENT, ['agent', '--agent', 'main', '--message', 'take your time']);
    const cli = spawnProcess(command, args, homes[CURRENT].env);
    const acceptedSeen = () => readFrames().slice(before).some((f) => f.frame?.payload?.status === 'accepted');
    const deadline = Date.now() + 30_000;
    while (!acceptedSeen() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
    const frames = readFrames().slice(before);
    const agentReq = frames.find((f) => f.frame?.method === 'agent')!;
    const abort = frames.find((f) => f.frame?.method === 'chat.abort')!;
    expect(abort.conn).toBe(agentReq.conn);
    expect(abort.frame.params).toEqual({ sessionKey: 'agent:main:main', runId: agentReq.frame.params.idempotencyKey });
    const answer = frames.find((f) => f.dir === 'gateway->client' && f.frame?.id === abort.frame.id)!;
    expect(answer.frame).toMatchObject({ ok: true, payload: { ok: true, aborted: true, runIds: [agentReq.frame.params.idempotencyKey] } });
  });

  it('fails (exit 1) naming the reason for another agent, an unknown session id, and a model error', async () => {
    const other = await openclawAgent(['--agent', 'ops', '--message', 'hi'], 1);
    expect(other.stderr).toContain('this gateway has one agent, "main"');
    const unknown = await openclawAgent(['--session-id', 'no-such-session', '--message', 'hi'], 1);
    expect(unknown.stderr).toContain('no session has id "no-such-session"');

    model.script(reply.httpError(400, 'the model fell over'));
    const broken = await openclawAgent(['--session-key', 'agent:main:broken', '--message', 'hi'], 1);
    const { final } = agentExchange(broken);
    expect(final.ok).toBe(false);
    expect(`${broken.stdout}${broken.stderr}`).toContain('the model fell over');
  });
});

describe('openclaw@2026.4.24 agent → tether gateway agent', () => {
  // This release has no --session-key; --agent, --to and --session-id select the session.
  it('prints the answer, also after a tool call, and exits 0', async () => {
    model.script(reply.toolCalls([{ name: 'list_nodes' }]), reply.text('Legacy CLI: no nodes.'));
    const run = await openclawAgent(['--agent', 'main', '--message', 'Which nodes?'], 0, LEGACY);
    expect(run.stdout.trim()).toBe('Legacy CLI: no nodes.');
    expect(methodsCalled(run)).toEqual(['agent']);
    const { request, final } = agentExchange(run);
    // Protocol 3, a signed device identity next to the token, every operator scope; the session key
    // is built on the CLI side (agent:main:main for --agent main), as the current release does locally.
    expect(run.sent('connect')[0].params).toMatchObject({ minProtocol: 3, maxProtocol: 3, role: 'operator', client: { id: 'cli', mode: 'cli' }, device: { id: expect.any(String) } });
    expect(request.params).toEqual({ message: 'Which nodes?', agentId: 'main', sessionKey: 'agent:main:main', deliver: false, timeout: 600, idempotencyKey: expect.any(String) });
    expect(final.payload).toMatchObject({ status: 'ok', result: { payloads: [{ text: 'Legacy CLI: no nodes.' }], meta: { toolRounds: 1, agentMeta: { sessionKey: 'agent:main:main' } } } });
  });
});

function sentToModel(index: number): any[] {
  return (model.requests[index]!.body as { messages: any[] }).messages;
}

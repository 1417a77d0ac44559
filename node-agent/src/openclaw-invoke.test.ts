/**
 * The node-agent's side of the captured Tether node → OpenClaw gateway conversation
 * (test/fixtures/openclaw/tether-node-to-openclaw-gateway-2026.9.6.json): OpenClaw's
 * node.invoke.request events decode to params our system commands accept, and the
 * node.invoke.result we answer with is exactly what the real gateway accepted.
 */
import { readFileSync } from 'node:fs';
import { createValidator, SystemRunParamsSchema, SystemWhichParamsSchema } from '@tether/protocol';
import { describe, expect, it, vi } from 'vitest';
import { CommandError, type CapabilityRegistry } from './capabilities/index.js';
import { InvokeHandler } from './invoke-handler.js';

interface Entry {
  conn: number;
  dir: 'client->gateway' | 'gateway->client' | 'close';
  frame?: Record<string, any>;
}

const capture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/openclaw/tether-node-to-openclaw-gateway-2026.9.6.json', import.meta.url), 'utf8'),
) as { frames: Entry[] };

const fromGateway = capture.frames.filter((e) => e.dir === 'gateway->client').map((e) => e.frame!);
const invokes = fromGateway.filter((f) => f.type === 'event' && f.event === 'node.invoke.request').map((f) => f.payload as Record<string, any>);
const results = new Map(
  capture.frames
    .filter((e) => e.dir === 'client->gateway' && e.frame!.method === 'node.invoke.result')
    .map((e) => [e.frame!.params.id as string, e.frame!.params as Record<string, any>]),
);
const nodeId = capture.frames.find((e) => e.frame?.method === 'connect')!.frame!.params.device.id as string;

const paramSchemas: Record<string, ReturnType<typeof createValidator>> = {
  'system.run': createValidator(SystemRunParamsSchema),
  'system.which': createValidator(SystemWhichParamsSchema),
};

/** A capability registry that answers each captured invoke the way the real node did. */
function replayCapabilities() {
  const run = vi.fn(async (_command: string, _params: unknown, _signal: AbortSignal) => undefined as unknown);
  for (const invoke of invokes) {
    const result = results.get(invoke.id)!;
    run.mockImplementationOnce(async () => {
      if (!result.ok) throw new CommandError(result.error.code, result.error.message);
      return JSON.parse(result.payloadJSON);
    });
  }
  return { registry: { run } as unknown as CapabilityRegistry, run };
}

function handler() {
  const sent: { method: string; params: any }[] = [];
  const log = vi.fn();
  const capabilities = replayCapabilities();
  const invokeHandler = new InvokeHandler({
    nodeId: () => nodeId,
    capabilities: capabilities.registry,
    transport: { request: async (method, params) => (sent.push({ method, params }), { ok: true }) },
    log,
  });
  return { invokeHandler, sent, log, run: capabilities.run };
}

describe('node.invoke.request events captured from openclaw@2026.9.6', () => {
  it('are three: system.which, system.run (allowed) and system.run (denied by the node policy)', () => {
    expect(invokes.map((i) => i.command)).toEqual(['system.which', 'system.run', 'system.run']);
    for (const invoke of invokes) expect(results.has(invoke.id)).toBe(true);
  });

  it.each(invokes.map((i) => [i.command, i.paramsJSON, i] as const))('%s %s decodes to params our command accepts (OpenClaw adds runId)', (command, _json, invoke) => {
    const validator = paramSchemas[command]!;
    const params = JSON.parse(invoke.paramsJSON as string);
    expect(validator.check(params) ? 'ok' : validator.lastError()).toBe('ok');
    if (command === 'system.run') expect(params.runId).toEqual(expect.any(String));
  });

  it('are run with the decoded params and answered with the node.invoke.result OpenClaw accepted', async () => {
    const { invokeHandler, sent, run, log } = handler();
    for (const invoke of invokes) invokeHandler.onEvent('node.invoke.request', invoke);
    await vi.waitFor(() => expect(sent).toHaveLength(invokes.length));
    expect(log).not.toHaveBeenCalled();
    expect(run.mock.calls.map(([command, params]) => [command, params])).toEqual(invokes.map((i) => [i.command, JSON.parse(i.paramsJSON)]));
    const byId = new Map(sent.map((s) => [s.params.id as string, s]));
    for (const invoke of invokes) {
      const answer = byId.get(invoke.id)!;
      expect(answer.method).toBe('node.invoke.result');
      expect(answer.params).toEqual(results.get(invoke.id));
    }
  });

  it('other events OpenClaw pushes to a node (voicewake.*, node.pair.resolved, tick, health) are ignored', async () => {
    const { invokeHandler, sent, run, log } = handler();
    const others = fromGateway.filter((f) => f.type === 'event' && f.event !== 'node.invoke.request' && f.event !== 'connect.challenge');
    expect(new Set(others.map((f) => f.event))).toEqual(new Set(['voicewake.changed', 'voicewake.routing.changed', 'node.pair.resolved', 'tick', 'health']));
    for (const frame of others) invokeHandler.onEvent(frame.event, frame.payload);
    await new Promise((r) => setTimeout(r, 20));
    expect(run).not.toHaveBeenCalled();
    expect(sent).toEqual([]);
    expect(log).not.toHaveBeenCalled();
  });

  it('an invoke addressed to another node is not run', async () => {
    const { invokeHandler, sent, run } = handler();
    invokeHandler.onEvent('node.invoke.request', { ...invokes[0], nodeId: 'f'.repeat(64) });
    await new Promise((r) => setTimeout(r, 20));
    expect(run).not.toHaveBeenCalled();
    expect(sent).toEqual([]);
  });
});

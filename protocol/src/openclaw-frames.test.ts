/**
 * Frames captured from real OpenClaw peers (test/fixtures/openclaw/, made with
 * test/interop/capture-frames.mjs) against our wire schemas and our client, so the interop found
 * by the interop suite stays fixed without the peer installed.
 */
import type { TSchema } from '@sinclair/typebox';
import { CLI, HOST_CURRENT, HOST_LEGACY, HOST_RECONNECT, TETHER_TO_OPENCLAW, type Fixture } from '../../test/fixtures/openclaw/fixtures.js';
import { describe, expect, it } from 'vitest';
import { GatewayClient, isPairingPending } from './client/gateway-client.js';
import type { Transport } from './client/transport.js';
import { ConnectChallengeSchema, ConnectParamsSchema, HelloOkSchema, type ConnectParams, type HelloOk } from './connect.js';
import { OPERATOR_SCOPES } from './constants.js';
import { deriveDeviceId, rawPublicKeyFrom } from './device-auth.js';
import { ErrorCode, DetailCode, GatewayError, type ErrorShape } from './errors.js';
import { TickEventSchema } from './methods/gateway.js';
import { NodeInvokeRequestEventSchema, NodeInvokeResultParamsSchema, NodePairResolvedEventSchema } from './methods/node.js';
import { createValidator, parseFrame } from './validate.js';


/** Frames OpenClaw programs sent (to a Tether gateway). */
const OPENCLAW_CLIENT_FIXTURES = { 'node-host-2026.9.6': HOST_CURRENT, 'node-host-2026.9.6-reconnect': HOST_RECONNECT, 'node-host-2026.4.24': HOST_LEGACY, 'cli-2026.9.6': CLI };

const sent = (f: Fixture) => f.frames.filter((e) => e.dir === 'client->gateway').map((e) => e.frame!);
const received = (f: Fixture) => f.frames.filter((e) => e.dir === 'gateway->client').map((e) => e.frame!);
const requests = (f: Fixture, method: string) => sent(f).filter((frame) => frame.method === method);
const events = (f: Fixture, event: string) => received(f).filter((frame) => frame.type === 'event' && frame.event === event);
const isHelloOk = (frame: Record<string, any>) => frame.type === 'res' && frame.ok === true && frame.payload?.type === 'hello-ok';

function check(schema: TSchema, value: unknown): string {
  const validator = createValidator(schema);
  return validator.check(value) ? 'ok' : validator.lastError();
}

const clientFrames = Object.entries(OPENCLAW_CLIENT_FIXTURES).flatMap(([name, f]) =>
  sent(f).map((frame) => [`${name} ${String(frame.method)} ${String(frame.id)}`, frame] as const),
);
const connects = Object.entries({ ...OPENCLAW_CLIENT_FIXTURES, 'tether-node-agent': TETHER_TO_OPENCLAW }).flatMap(([name, f]) =>
  requests(f, 'connect').map((frame) => [`${name} ${String(frame.id)}`, frame.params as ConnectParams] as const),
);

describe('captured OpenClaw client → gateway frames', () => {
  it('cover every scenario', () => {
    expect(clientFrames.length).toBeGreaterThanOrEqual(30);
    expect(connects.map(([, params]) => `${params.client.id}@${params.client.version}`)).toEqual(
      expect.arrayContaining(['node-host@2026.9.6', 'node-host@2026.4.24', 'cli@2026.9.6', 'node-host@0.1.0']),
    );
  });

  it.each(clientFrames)('%s parses with parseFrame', (_label, frame) => {
    const parsed = parseFrame(JSON.stringify(frame));
    expect(parsed.ok ? 'ok' : parsed.reason).toBe('ok');
  });

  it.each(connects)('connect params of %s pass ConnectParamsSchema', (_label, params) => {
    expect(check(ConnectParamsSchema, params)).toBe('ok');
  });

  it.each(connects.filter(([, params]) => params.device))('device of %s: the id derives from the public key and the nonce is the challenge nonce', (label, params) => {
    // Signatures are redacted in the fixtures; their algorithm is pinned by the known-answer vector in device-auth.test.ts.
    const raw = rawPublicKeyFrom(params.device!.publicKey);
    expect(raw?.length).toBe(32);
    expect(deriveDeviceId(raw!)).toBe(params.device!.id);
    expect(params.device!.signature).toBe('<redacted>');
    const f = Object.entries({ ...OPENCLAW_CLIENT_FIXTURES, 'tether-node-agent': TETHER_TO_OPENCLAW }).find(([name]) => label.startsWith(`${name} `))![1];
    const conn = f.frames.find((e) => e.frame?.method === 'connect' && e.frame.params === params)!.conn;
    const challenge = f.frames.find((e) => e.conn === conn && e.frame?.event === 'connect.challenge')!.frame!;
    expect(params.device!.nonce).toBe(challenge.payload.nonce);
  });

  it('operator connects of the CLI ask only for scopes we know (admission refuses unknown ones)', () => {
    const scopes = requests(CLI, 'connect').flatMap((frame) => frame.params.scopes as string[]);
    expect(scopes.length).toBeGreaterThan(0);
    for (const scope of scopes) expect(OPERATOR_SCOPES).toContain(scope);
  });

  it('the 2026.4.24 host sends no client.deviceFamily and signs at its own clock, not the challenge ts', () => {
    const [connect] = requests(HOST_LEGACY, 'connect');
    const [challenge] = events(HOST_LEGACY, 'connect.challenge');
    expect(connect!.params.client.deviceFamily).toBeUndefined();
    expect(connect!.params.device.nonce).toBe(challenge!.payload.nonce);
    expect(connect!.params.device.signedAt).not.toBe(challenge!.payload.ts);
  });
});

describe('captured node.invoke.result params', () => {
  const results = [
    ...requests(HOST_CURRENT, 'node.invoke.result').map((f) => ['openclaw@2026.9.6 node host', f.params] as const),
    ...requests(HOST_LEGACY, 'node.invoke.result').map((f) => ['openclaw@2026.4.24 node host', f.params] as const),
    ...requests(TETHER_TO_OPENCLAW, 'node.invoke.result').map((f) => ['tether node-agent', f.params] as const),
  ];

  it.each(results)('%s: %j passes NodeInvokeResultParamsSchema', (_label, params) => {
    expect(check(NodeInvokeResultParamsSchema, params)).toBe('ok');
  });

  it('system.run results of OpenClaw node hosts carry no "truncated" (ours always do)', () => {
    const runIds = (f: Fixture) => new Set(events(f, 'node.invoke.request').filter((e) => e.payload.command === 'system.run').map((e) => e.payload.id as string));
    for (const f of [HOST_CURRENT, HOST_LEGACY]) {
      const ids = runIds(f);
      const runs = requests(f, 'node.invoke.result').filter((r) => ids.has(r.params.id));
      expect(runs).toHaveLength(2);
      for (const run of runs) {
        const payload = JSON.parse(run.params.payloadJSON);
        expect(payload).toMatchObject({ timedOut: false, stderr: expect.any(String), stdout: expect.any(String) });
        expect(payload).not.toHaveProperty('truncated');
      }
    }
    const ours = requests(TETHER_TO_OPENCLAW, 'node.invoke.result').map((r) => r.params.payloadJSON).filter((p) => typeof p === 'string' && p.includes('exitCode'));
    expect(JSON.parse(ours[0]!)).toHaveProperty('truncated', false);
  });
});

describe('captured OpenClaw gateway → Tether node-agent frames', () => {
  const frames = received(TETHER_TO_OPENCLAW);

  it.each(frames.map((frame, i) => [`${i} ${String(frame.type)} ${String(frame.event ?? frame.id)}`, frame] as const))('%s parses with parseFrame (our client drops frames that do not)', (_label, frame) => {
    const parsed = parseFrame(JSON.stringify(frame));
    expect(parsed.ok ? 'ok' : parsed.reason).toBe('ok');
  });

  it('has the challenge, the NOT_PAIRED refusals, hello-ok, invokes, node.pair.resolved and ticks', () => {
    expect(events(TETHER_TO_OPENCLAW, 'connect.challenge')).toHaveLength(5);
    expect(frames.filter((f) => f.type === 'res' && f.ok === false && f.error?.code === 'NOT_PAIRED')).toHaveLength(4);
    expect(frames.filter(isHelloOk)).toHaveLength(1);
    expect(events(TETHER_TO_OPENCLAW, 'node.invoke.request')).toHaveLength(3);
    expect(events(TETHER_TO_OPENCLAW, 'node.pair.resolved')).toHaveLength(1);
    expect(events(TETHER_TO_OPENCLAW, 'tick').length).toBeGreaterThanOrEqual(2);
  });

  it('connect.challenge passes ConnectChallengeSchema (OpenClaw sends capabilities and no gatewayPublicKey)', () => {
    for (const challenge of events(TETHER_TO_OPENCLAW, 'connect.challenge')) {
      expect(check(ConnectChallengeSchema, challenge.payload)).toBe('ok');
      expect(challenge.payload.gatewayPublicKey).toBeUndefined();
      expect(challenge.payload.capabilities).toEqual(expect.any(Array));
    }
  });

  it('the NOT_PAIRED error is recognised by isPairingPending', () => {
    const refusals = frames.filter((f) => f.type === 'res' && f.ok === false);
    expect(refusals.length).toBe(4);
    for (const refusal of refusals) {
      const error = new GatewayError(refusal.error as ErrorShape);
      expect(error.code).toBe(ErrorCode.NOT_PAIRED);
      expect(error.detailCode).toBe(DetailCode.PAIRING_REQUIRED);
      expect(isPairingPending(error)).toBe(true);
      // OpenClaw sends neither retryable nor retryAfterMs: the client's own retry delay applies.
      expect(error.retryAfterMs).toBeUndefined();
      expect(error.details?.requestId).toEqual(expect.any(String));
    }
  });

  it('hello-ok passes HelloOkSchema', () => {
    const hello = frames.find(isHelloOk)!.payload as HelloOk;
    expect(check(HelloOkSchema, hello)).toBe('ok');
    expect(hello).toMatchObject({ protocol: 4, auth: { role: 'node', scopes: [], deviceToken: expect.any(String) }, policy: { tickIntervalMs: 30_000 } });
    expect(hello.features.methods).toEqual(expect.arrayContaining(['node.invoke.result', 'node.event']));
    expect(hello.features.events).toEqual(expect.arrayContaining(['node.invoke.request', 'tick']));
  });

  it('node.invoke.request payloads pass NodeInvokeRequestEventSchema', () => {
    const invokes = events(TETHER_TO_OPENCLAW, 'node.invoke.request');
    for (const invoke of invokes) {
      expect(check(NodeInvokeRequestEventSchema, invoke.payload)).toBe('ok');
      expect(invoke.seq).toBeUndefined();
      expect(typeof invoke.payload.paramsJSON).toBe('string');
    }
    // OpenClaw adds a runId to system.run params and sends the remaining budget as timeoutMs.
    const run = invokes.find((i) => i.payload.command === 'system.run')!;
    expect(JSON.parse(run.payload.paramsJSON)).toMatchObject({ command: ['uname', '-s'], runId: expect.any(String) });
    expect(run.payload.timeoutMs).toBeLessThanOrEqual(15_000);
  });

  it('tick and node.pair.resolved payloads pass their schemas', () => {
    for (const tick of events(TETHER_TO_OPENCLAW, 'tick')) {
      expect(check(TickEventSchema, tick.payload)).toBe('ok');
      expect(tick.seq).toEqual(expect.any(Number));
    }
    for (const resolved of events(TETHER_TO_OPENCLAW, 'node.pair.resolved')) expect(check(NodePairResolvedEventSchema, resolved.payload)).toBe('ok');
  });
});

/** A transport the test drives: it records what the client sends and feeds it captured frames. */
function replayTransport() {
  const sentTexts: string[] = [];
  const listeners = { message: [] as ((text: string) => void)[], close: [] as ((code: number, reason: string) => void)[] };
  const transport: Transport = {
    send: (text) => sentTexts.push(text),
    close: (code = 1000, reason = '') => setImmediate(() => listeners.close.forEach((l) => l(code, reason))),
    onOpen: () => {},
    onMessage: (l) => listeners.message.push(l),
    onClose: (l) => listeners.close.push(l),
    onError: () => {},
  };
  return {
    factory: () => transport,
    sentTexts,
    deliver: (frame: unknown) => listeners.message.forEach((l) => l(JSON.stringify(frame))),
    lastRequest: () => JSON.parse(sentTexts[sentTexts.length - 1]!) as { id: string; method: string; params: ConnectParams },
  };
}

const nodeClientOptions = { connectTimeoutMs: 2_000, url: 'ws://openclaw.test', client: { id: 'node-host', version: '0.1.0', platform: 'linux', mode: 'node' }, role: 'node' as const };

describe('GatewayClient against the captured OpenClaw gateway frames', () => {
  const byConn = (conn: number) => TETHER_TO_OPENCLAW.frames.filter((e) => e.conn === conn && e.dir === 'gateway->client').map((e) => e.frame!);
  const helloConn = TETHER_TO_OPENCLAW.frames.find((e) => e.frame && isHelloOk(e.frame))!.conn;

  it('turns the NOT_PAIRED answer into a pairing-pending error', async () => {
    const replay = replayTransport();
    const client = new GatewayClient({ ...nodeClientOptions, transport: replay.factory });
    const connecting = client.connect();
    const [challenge, refusal] = byConn(1);
    replay.deliver(challenge);
    const connect = replay.lastRequest();
    expect(connect.method).toBe('connect');
    replay.deliver({ ...refusal, id: connect.id });
    const error = await connecting.then(
      () => undefined,
      (e: unknown) => e as GatewayError,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect(isPairingPending(error!)).toBe(true);
    expect(error!.details?.requestId).toBe(refusal!.error.details.requestId);
    await client.close();
  });

  it('accepts the hello-ok and hands every later event to onEvent', async () => {
    const replay = replayTransport();
    const seen: string[] = [];
    const client = new GatewayClient({ ...nodeClientOptions, transport: replay.factory, onEvent: (event) => seen.push(event) });
    const connecting = client.connect();
    const [challenge, hello, ...rest] = byConn(helloConn);
    replay.deliver(challenge);
    const connect = replay.lastRequest();
    expect(connect.params.device).toBeUndefined();
    replay.deliver({ ...hello, id: connect.id });
    const accepted = await connecting;
    expect(accepted.protocol).toBe(4);
    expect(client.state).toBe('connected');
    for (const frame of rest) replay.deliver(frame);
    expect(seen).toEqual(rest.filter((f) => f.type === 'event').map((f) => f.event));
    expect(seen).toEqual(expect.arrayContaining(['voicewake.changed', 'node.pair.resolved', 'node.invoke.request', 'tick', 'health']));
    await client.close();
  });
});

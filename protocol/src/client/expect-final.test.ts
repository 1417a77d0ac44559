/**
 * `request(…, {expectFinal: true})`: OpenClaw's `agent` answers twice with one id — ok `{status:'accepted'}`
 * and later the final result (or an error). Driven through an injected transport: no sockets.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../errors.js';
import { GatewayClient } from './gateway-client.js';
import type { Transport } from './transport.js';

interface Gateway {
  /** Requests the client sent after the handshake. */
  requests: { id: string; method: string; params?: unknown }[];
  /** Sends one frame to the client. */
  push(frame: Record<string, unknown>): void;
}

const HELLO = {
  type: 'hello-ok',
  protocol: 3,
  server: { version: 'test', connId: 'c1' },
  features: { methods: [], events: [] },
  snapshot: { presence: [], health: {}, stateVersion: { presence: 0, health: 0 }, uptimeMs: 0 },
  policy: { maxPayload: 1_000_000, maxBufferedBytes: 1_000_000, tickIntervalMs: 30_000 },
};

function scriptedGateway(): { gateway: Gateway; transport: () => Transport } {
  let onMessage: (text: string) => void = () => undefined;
  let onClose: (code: number, reason: string) => void = () => undefined;
  const gateway: Gateway = { requests: [], push: (frame) => onMessage(JSON.stringify(frame)) };
  const transport = (): Transport => ({
    send: (text) => {
      const frame = JSON.parse(text) as { id: string; method: string; params?: unknown };
      if (frame.method === 'connect') setImmediate(() => gateway.push({ type: 'res', id: frame.id, ok: true, payload: HELLO }));
      else gateway.requests.push(frame);
    },
    close: () => setImmediate(() => onClose(1000, 'bye')),
    onOpen: () => undefined,
    onMessage: (listener) => {
      onMessage = listener;
      setImmediate(() => gateway.push({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n-1', ts: Date.now() } }));
    },
    onClose: (listener) => (onClose = listener),
    onError: () => undefined,
  });
  return { gateway, transport };
}

const clients: GatewayClient[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const client of clients.splice(0)) await client.close();
});

async function connected(requestTimeoutMs = 50): Promise<{ client: GatewayClient; gateway: Gateway }> {
  const { gateway, transport } = scriptedGateway();
  const client = new GatewayClient({
    url: 'ws://gateway.invalid',
    token: 't'.repeat(32),
    role: 'operator',
    client: { id: 'test', mode: 'test', version: 'test', platform: 'linux' },
    transport,
    requestTimeoutMs,
  });
  clients.push(client);
  await client.connect();
  return { client, gateway };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('request with expectFinal', () => {
  it('calls onAccepted for the first res and resolves with the second one', async () => {
    const { client, gateway } = await connected();
    const accepted: unknown[] = [];
    const settled = vi.fn();
    const answer = client.request('agent', { message: 'hi' }, { expectFinal: true, onAccepted: (p) => accepted.push(p) });
    void answer.then(settled);
    await tick();
    const id = gateway.requests[0]!.id;
    gateway.push({ type: 'res', id, ok: true, payload: { runId: 'r1', status: 'accepted', acceptedAt: 1 } });
    await tick();
    expect(accepted).toEqual([{ runId: 'r1', status: 'accepted', acceptedAt: 1 }]);
    expect(settled).not.toHaveBeenCalled();
    // Longer than the client's default request deadline (50 ms here): expectFinal has none.
    await new Promise((resolve) => setTimeout(resolve, 120));
    gateway.push({ type: 'res', id, ok: true, payload: { runId: 'r1', status: 'ok', summary: 'completed' } });
    await expect(answer).resolves.toEqual({ runId: 'r1', status: 'ok', summary: 'completed' });
  });

  it('rejects with the final error res', async () => {
    const { client, gateway } = await connected();
    const answer = client.request('agent', { message: 'hi' }, { expectFinal: true });
    await tick();
    const id = gateway.requests[0]!.id;
    gateway.push({ type: 'res', id, ok: true, payload: { runId: 'r1', status: 'accepted', acceptedAt: 1 } });
    gateway.push({ type: 'res', id, ok: false, error: { code: 'UNAVAILABLE', message: 'no model', details: { code: 'AGENT_NOT_CONFIGURED' } } });
    const error = await answer.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).detailCode).toBe('AGENT_NOT_CONFIGURED');
  });

  it('an error without an accepted first is the answer too', async () => {
    const { client, gateway } = await connected();
    const answer = client.request('agent', {}, { expectFinal: true });
    await tick();
    gateway.push({ type: 'res', id: gateway.requests[0]!.id, ok: false, error: { code: 'INVALID_REQUEST', message: 'bad' } });
    await expect(answer).rejects.toThrow('bad');
  });

  it('keeps an explicit timeoutMs', async () => {
    const { client, gateway } = await connected(10_000);
    const answer = client.request('agent', {}, { expectFinal: true, timeoutMs: 30 });
    await tick();
    gateway.push({ type: 'res', id: gateway.requests[0]!.id, ok: true, payload: { status: 'accepted' } });
    await expect(answer).rejects.toThrow('agent got no answer within 30 ms');
  });

  it('a throwing onAccepted does not break dispatch', async () => {
    const { client, gateway } = await connected();
    const answer = client.request('agent', {}, {
      expectFinal: true,
      onAccepted: () => {
        throw new Error('boom');
      },
    });
    await tick();
    const id = gateway.requests[0]!.id;
    gateway.push({ type: 'res', id, ok: true, payload: { status: 'accepted' } });
    gateway.push({ type: 'res', id, ok: true, payload: { status: 'ok' } });
    await expect(answer).resolves.toEqual({ status: 'ok' });
  });

  it('without expectFinal, the accepted res is the answer (unchanged behaviour)', async () => {
    const { client, gateway } = await connected();
    const answer = client.request('agent', {});
    await tick();
    gateway.push({ type: 'res', id: gateway.requests[0]!.id, ok: true, payload: { status: 'accepted' } });
    await expect(answer).resolves.toEqual({ status: 'accepted' });
  });

  it('a closed connection rejects a request still waiting for its final', async () => {
    const { client, gateway } = await connected();
    const answer = client.request('agent', {}, { expectFinal: true });
    await tick();
    gateway.push({ type: 'res', id: gateway.requests[0]!.id, ok: true, payload: { status: 'accepted' } });
    const rejected = expect(answer).rejects.toThrow('client closed');
    await client.close();
    await rejected;
  });
});

/**
 * Finding 13: the client capped the gateway's retryAfterMs at 1 s, so a gateway could never slow a
 * pending or throttled client down. Driven through an injected transport: no sockets, real client logic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient, honouredRetryAfter, MAX_RETRY_AFTER_MS, type ClientStatus } from './gateway-client.js';
import type { Transport } from './transport.js';

/** A gateway that sends a challenge, then refuses every connect with `error`. */
function refusingTransport(error: Record<string, unknown>): () => Transport {
  return () => {
    let onMessage: (text: string) => void = () => undefined;
    let onClose: (code: number, reason: string) => void = () => undefined;
    const transport: Transport = {
      send: (text) => {
        const frame = JSON.parse(text) as { id: string; method: string };
        if (frame.method === 'connect') setImmediate(() => onMessage(JSON.stringify({ type: 'res', id: frame.id, ok: false, error })));
      },
      close: () => setImmediate(() => onClose(1000, 'bye')),
      onOpen: () => undefined,
      onMessage: (listener) => {
        onMessage = listener;
        // The gateway speaks first: the challenge, as soon as the client listens.
        setImmediate(() => onMessage(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n-1', ts: Date.now() } })));
      },
      onClose: (listener) => (onClose = listener),
      onError: () => undefined,
    };
    return transport;
  };
}

const clients: GatewayClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

/** Starts a client against the refusing gateway and resolves with its first scheduled retry. */
function firstRetry(error: Record<string, unknown>): Promise<ClientStatus> {
  return new Promise((resolve) => {
    const client = new GatewayClient({
      url: 'ws://gateway.invalid',
      token: 't'.repeat(32),
      role: 'operator',
      client: { id: 'test', mode: 'test', version: 'test', platform: 'linux' },
      transport: refusingTransport(error),
      onStatus: (status) => {
        if (status.retryInMs !== undefined) resolve(status);
      },
    });
    clients.push(client);
    client.start();
  });
}

describe("the gateway's retryAfterMs is obeyed", () => {
  it('while pairing is pending: a gateway asking for 30 s gets 30 s, not 1 s', async () => {
    const status = await firstRetry({ code: 'NOT_PAIRED', message: 'pairing required', details: { code: 'PAIRING_REQUIRED', requestId: 'r' }, retryable: true, retryAfterMs: 30_000 });
    expect(status.state).toBe('pairing-pending');
    expect(status.retryInMs).toBe(30_000);
  });

  it('when throttled: the wait is at least what the gateway asked for', async () => {
    const status = await firstRetry({ code: 'UNAVAILABLE', message: 'pairing throttled', details: { code: 'PAIRING_THROTTLED' }, retryable: true, retryAfterMs: 45_000 });
    expect(status.retryInMs).toBeGreaterThanOrEqual(45_000);
  });

  it('clamps what no gateway should ask for', () => {
    expect(honouredRetryAfter(Number.MAX_SAFE_INTEGER, 1_000)).toBe(MAX_RETRY_AFTER_MS);
    expect(honouredRetryAfter(0, 1_000)).toBe(250);
    expect(honouredRetryAfter(undefined, 1_000)).toBe(1_000);
    expect(honouredRetryAfter(Number.NaN, 1_000)).toBe(1_000);
  });
});

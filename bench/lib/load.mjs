// Load generators: RPC latency/throughput with N in flight, and handshake rate with N concurrent
// connects. All loops are bounded by a fixed call count; every request carries a deadline.
import { randomUUID } from 'node:crypto';
import { GatewayClient } from '../../protocol/dist/index.js';
import { loadOrCreateIdentity } from '../../pairing/dist/index.js';
import { makeTempDir } from './procs.mjs';
import { summarize } from './stats.mjs';

const CLIENT = { id: 'cli', mode: 'cli', version: 'bench', platform: process.platform };

/** `extra`: more GatewayClientOptions (e.g. `onEvent`). */
export function operatorClient(url, token, extra = {}) {
  return new GatewayClient({ url, token, role: 'operator', scopes: ['operator.admin'], client: CLIENT, requestTimeoutMs: 10_000, connectTimeoutMs: 10_000, ...extra });
}

/**
 * Runs `total` calls of `call()` with `concurrency` workers, each awaiting its previous call.
 * Returns latency percentiles and calls/s over the whole run; errors are counted, not thrown.
 */
export async function runLoad(call, { total, concurrency }) {
  const latencies = new Float64Array(total);
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError;
  const worker = async () => {
    while (next < total) {
      next++;
      const t0 = performance.now();
      try {
        await call();
        latencies[done++] = performance.now() - t0;
      } catch (error) {
        errors++;
        firstError ??= error;
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - start;
  const result = { concurrency, ...summarize(latencies.subarray(0, done), elapsed), errors };
  if (firstError) result.firstError = String(firstError.message ?? firstError);
  return result;
}

export function invokeWhich(client, nodeId) {
  return () =>
    client.request(
      'node.invoke',
      { nodeId, command: 'system.which', params: { bins: ['sh'] }, idempotencyKey: randomUUID(), timeoutMs: 10_000 },
      { timeoutMs: 15_000 },
    );
}

export function nodeList(client) {
  return () => client.request('node.list', {});
}

/** connect → hello-ok → close, `total` times with `concurrency` at once, as an operator with the shared token. */
export function tokenHandshakes(url, token, { total, concurrency }) {
  return runLoad(
    async () => {
      const client = operatorClient(url, token);
      await client.connect();
      await client.close();
    },
    { total, concurrency },
  );
}

/**
 * Signed node handshakes: each worker owns one Ed25519 identity (so concurrent connects never
 * replace each other's node session), pairs it once (silent on loopback) and then reconnects with
 * the device token it was issued, signing every challenge.
 */
export async function signedNodeHandshakes(url, token, { total, concurrency }) {
  const devices = [];
  for (let i = 0; i < concurrency; i++) {
    const identity = loadOrCreateIdentity({ dir: makeTempDir('ident') });
    const options = { url, role: 'node', identity, caps: [], commands: [], client: { ...CLIENT, id: 'node-host', mode: 'node', displayName: `bench-signed-${i}` }, connectTimeoutMs: 10_000 };
    const first = new GatewayClient({ ...options, token });
    const hello = await first.connect();
    await first.close();
    const deviceToken = hello.auth?.deviceToken;
    if (!deviceToken) throw new Error('signed handshake: first connect was not issued a device token (is loopback auto-approval on?)');
    devices.push({ ...options, deviceToken });
  }
  let turn = 0;
  const free = [...devices];
  return runLoad(
    async () => {
      // Take an identity no other in-flight connect is using; there are exactly `concurrency` of them.
      const options = free.pop() ?? devices[turn++ % devices.length];
      try {
        const client = new GatewayClient(options);
        await client.connect();
        await client.close();
      } finally {
        free.push(options);
      }
    },
    { total, concurrency },
  );
}

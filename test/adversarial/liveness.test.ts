/**
 * Finding 11: the gateway never pinged, so a node whose network died stayed "connected" and invokes to
 * it waited their whole deadline. A frozen node process (SIGSTOP: the kernel still holds the TCP
 * connection, nothing answers) is exactly such a half-open peer.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayError, NodeListResult } from '@tether/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { connectOperator } from '../helpers/clients.js';
import { cleanup, eventually, ownerTokenEnv, spawnTether, startGatewayProcess, tempDir } from '../helpers/processes.js';

afterAll(cleanup);

describe('a node that vanished without a FIN', () => {
  it('is offline within about two ticks, and its in-flight invoke fails at once as retryable, not at its deadline', async () => {
    const stateDir = tempDir('tether-gw-');
    writeFileSync(join(stateDir, 'tether.json'), JSON.stringify({ gateway: { tickIntervalMs: 300 } }));
    const gateway = await startGatewayProcess({ stateDir });
    const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', tempDir('tether-node-'), '--display-name', 'frozen'], ownerTokenEnv(gateway));
    await node.waitFor(/connected to .* as frozen/);
    const operator = await connectOperator(gateway.url, gateway.stateDir);
    const { nodes } = await operator.request<NodeListResult>('node.list', {});
    const nodeId = nodes.find((n) => n.displayName === 'frozen')!.nodeId;

    node.child.kill('SIGSTOP');
    try {
      const invoke = operator
        .request('node.invoke', { nodeId, command: 'system.which', params: { bins: ['sh'] }, idempotencyKey: 'frozen-1', timeoutMs: 120_000 }, { timeoutMs: 130_000 })
        .then(() => undefined, (error: GatewayError) => error);
      const error = await invoke;
      // Failed by the disconnect (NODE_DISCONNECTED), not by the 120 s deadline (TIMEOUT).
      expect(error?.detailCode).toBe('NODE_DISCONNECTED');
      expect(error?.retryable).toBe(true);
      const offline = await eventually(async () => {
        const list = await operator.request<NodeListResult>('node.list', {});
        return list.nodes.find((n) => n.nodeId === nodeId && !n.connected);
      });
      expect(offline.connected).toBe(false);
      expect(gateway.output()).toMatch(/missed two pings/);
    } finally {
      node.child.kill('SIGCONT');
      await operator.close();
    }
  });
});

/** `health` and `status`: cheap, read-only views of the running gateway. */
import { EmptyParamsSchema, type HealthResult, type StatusResult } from '@tether/protocol';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';
import type { GatewayContext } from '../context.js';

function nodeCounts(gateway: GatewayContext): { connected: number; paired: number } {
  const paired = gateway.store.listPaired().filter((device) => device.roles.includes('node')).length;
  return { connected: gateway.registry.connectedCount, paired };
}

export const gatewayMethods: RegisteredMethod[] = [
  defineMethod({
    method: 'health',
    roles: ['operator', 'node'],
    params: EmptyParamsSchema,
    handler: ({ gateway }): HealthResult => ({
      ok: true,
      ts: Date.now(),
      uptimeMs: Date.now() - gateway.startedAtMs,
      nodes: nodeCounts(gateway),
      pendingPairings: gateway.store.listPending().length,
    }),
  }),
  defineMethod({
    method: 'status',
    roles: ['operator'],
    scope: 'operator.read',
    params: EmptyParamsSchema,
    handler: ({ gateway }): StatusResult => {
      let operators = 0;
      let nodes = 0;
      for (const connection of gateway.broadcaster.all()) {
        if (connection.session?.role === 'node') nodes++;
        else operators++;
      }
      return {
        version: gateway.version,
        pid: process.pid,
        uptimeMs: Date.now() - gateway.startedAtMs,
        listen: gateway.listen,
        stateDir: gateway.config.stateDir,
        connections: { operators, nodes },
        nodes: nodeCounts(gateway),
        pendingPairings: gateway.store.listPending().length,
        invokesInFlight: gateway.registry.inFlightCount,
        autoApproveLoopback: gateway.config.autoApproveLoopback,
      };
    },
  }),
];

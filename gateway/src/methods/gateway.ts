/** `health` and `status`: cheap, read-only views of the running gateway. */
import { EmptyParamsSchema, type ConfigStatus, type HealthResult, type StatusResult } from '@tether/protocol';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';
import type { GatewayContext } from '../context.js';
import { describeDiscoveryState, type DiscoveryState } from '../discovery/advertiser.js';
import { metricsOf } from '../metrics/gateway-metrics.js';

/** The beacon's state as `health` and `status` show it; `disabled: not started` when no supervisor is wired. */
export function discoverySummary(gateway: GatewayContext): {
  state: DiscoveryState['state'];
  summary: string;
  reason?: string;
  name?: string;
  interface?: string;
  services?: string[];
  restarts?: number;
  renames?: number;
} {
  let state: DiscoveryState | undefined;
  try {
    state = gateway.discovery?.state();
  } catch {
    state = undefined;
  }
  if (!state) return { state: 'disabled', summary: 'disabled: not started', reason: 'not started' };
  return {
    state: state.state,
    summary: describeDiscoveryState(state),
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
    ...(state.name !== undefined ? { name: state.name } : {}),
    ...(state.interface !== undefined ? { interface: state.interface } : {}),
    services: state.services,
    restarts: state.restarts,
    renames: state.renames,
  };
}

/** tether.json's load state; nodes see only whether it is ok, operators the reason and the pending keys. */
function configField(gateway: GatewayContext, full: boolean): { config?: ConfigStatus } {
  const state = gateway.configState?.();
  if (!state) return {};
  return { config: full ? state : { ok: state.ok, since: state.since } };
}

function nodeCounts(gateway: GatewayContext): { connected: number; paired: number } {
  const paired = gateway.store.listPaired().filter((device) => device.roles.includes('node')).length;
  return { connected: gateway.registry.connectedCount, paired };
}

export const gatewayMethods: RegisteredMethod[] = [
  defineMethod({
    method: 'health',
    roles: ['operator', 'node'],
    params: EmptyParamsSchema,
    handler: ({ gateway, session }): HealthResult => {
      const discovery = discoverySummary(gateway);
      // Nodes (held ones too) see only each channel's name and state; reasons and times are for operators.
      const channels = gateway.channels.list();
      return {
      ok: true,
      ts: Date.now(),
      uptimeMs: Date.now() - gateway.startedAtMs,
      nodes: nodeCounts(gateway),
      pendingPairings: gateway.store.listPending().length,
      discovery: { state: discovery.state, summary: discovery.summary },
      channels: session.role === 'operator' ? channels : channels.map(({ name, state }) => ({ name, state })),
      ...configField(gateway, session.role === 'operator'),
      };
    },
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
        discovery: discoverySummary(gateway),
        tls: gateway.tlsFingerprint ? { enabled: true, fingerprint: gateway.tlsFingerprint } : { enabled: false },
        channels: gateway.channels.list(),
        ...configField(gateway, true),
        ...metricsOf(gateway)?.report(),
      };
    },
  }),
];

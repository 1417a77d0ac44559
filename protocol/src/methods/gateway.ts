/** Gateway-level methods (`health`, `status`) and broadcast events (`tick`, `presence`, `shutdown`). */
import { Type, type Static } from '@sinclair/typebox';
import { ChannelStateSchema } from './channels.js';

export const EmptyParamsSchema = Type.Object({}, { additionalProperties: true, $id: 'EmptyParams' });

/** The gateway's mDNS beacon: `announced`, `failed` (with the reason), `disabled` (with why), … */
export const DiscoveryStatusSchema = Type.Object(
  {
    state: Type.Union([Type.Literal('starting'), Type.Literal('announced'), Type.Literal('failed'), Type.Literal('disabled'), Type.Literal('closed')]),
    /** One line for people: `announced as "pi" on eth0 192.168.1.4 (…)`, `failed: <reason>`, `disabled: <why>`. */
    summary: Type.String(),
    reason: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    interface: Type.Optional(Type.String()),
    services: Type.Optional(Type.Array(Type.String())),
    restarts: Type.Optional(Type.Integer()),
    renames: Type.Optional(Type.Integer()),
  },
  { additionalProperties: true },
);
export type DiscoveryStatus = Static<typeof DiscoveryStatusSchema>;

/** Whether the gateway's last load of tether.json worked; when not, the last good config is in force. */
export const ConfigStatusSchema = Type.Object(
  {
    ok: Type.Boolean(),
    /** When this state began (ms since the epoch). */
    since: Type.Integer(),
    path: Type.Optional(Type.String()),
    /** Why the last reload failed (key and fix), operators only. */
    error: Type.Optional(Type.String()),
    /** Keys changed in the file that take effect only after a restart. */
    restartRequired: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true },
);
export type ConfigStatus = Static<typeof ConfigStatusSchema>;

/** `config`: tether.json was reloaded (applied keys, keys waiting for a restart) or failed to load. */
export const ConfigEventSchema = Type.Object(
  {
    ok: Type.Boolean(),
    path: Type.String(),
    ts: Type.Integer(),
    error: Type.Optional(Type.String()),
    applied: Type.Optional(Type.Array(Type.String())),
    restartRequired: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true, $id: 'ConfigEvent' },
);
export type ConfigEvent = Static<typeof ConfigEventSchema>;

export const HealthResultSchema = Type.Object(
  {
    ok: Type.Boolean(),
    ts: Type.Integer(),
    uptimeMs: Type.Integer(),
    nodes: Type.Object({ connected: Type.Integer(), paired: Type.Integer() }),
    pendingPairings: Type.Integer(),
    discovery: Type.Optional(DiscoveryStatusSchema),
    /** The configured chat channels (absent from gateways that predate them). */
    channels: Type.Optional(Type.Array(ChannelStateSchema)),
    config: Type.Optional(ConfigStatusSchema),
  },
  { additionalProperties: true, $id: 'HealthResult' },
);
export type HealthResult = Static<typeof HealthResultSchema>;

export const StatusResultSchema = Type.Object(
  {
    version: Type.String(),
    pid: Type.Integer(),
    uptimeMs: Type.Integer(),
    listen: Type.Object({ host: Type.String(), port: Type.Integer() }),
    stateDir: Type.String(),
    connections: Type.Object({ operators: Type.Integer(), nodes: Type.Integer() }),
    nodes: Type.Object({ connected: Type.Integer(), paired: Type.Integer() }),
    pendingPairings: Type.Integer(),
    invokesInFlight: Type.Integer(),
    autoApproveLoopback: Type.Boolean(),
    discovery: Type.Optional(DiscoveryStatusSchema),
    /** Whether the port serves TLS, and the certificate's SHA-256 (64 hex) to compare with a node's pin. */
    tls: Type.Optional(Type.Object({ enabled: Type.Boolean(), fingerprint: Type.Optional(Type.String()) }, { additionalProperties: false })),
    channels: Type.Optional(Type.Array(ChannelStateSchema)),
    config: Type.Optional(ConfigStatusSchema),
    /** Finished `node.invoke`s: since start, failed, and in the last 60 s (absent: not counted by this gateway). */
    invokes: Type.Optional(
      Type.Object(
        { total: Type.Integer(), failed: Type.Integer(), lastMinute: Type.Integer(), perSecond: Type.Number() },
        { additionalProperties: true },
      ),
    ),
    /** The last warnings and errors, newest first; credential-shaped text redacted, control characters escaped. */
    recentErrors: Type.Optional(
      Type.Array(
        Type.Object(
          { atMs: Type.Integer(), source: Type.Union([Type.Literal('error'), Type.Literal('warn')]), message: Type.String(), count: Type.Optional(Type.Integer()) },
          { additionalProperties: true },
        ),
      ),
    ),
  },
  { additionalProperties: true, $id: 'StatusResult' },
);
export type StatusResult = Static<typeof StatusResultSchema>;

export const TickEventSchema = Type.Object({ ts: Type.Integer() }, { additionalProperties: true, $id: 'TickEvent' });

export const ShutdownEventSchema = Type.Object(
  { reason: Type.String(), restartExpectedMs: Type.Optional(Type.Integer()) },
  { additionalProperties: true, $id: 'ShutdownEvent' },
);
export type ShutdownEvent = Static<typeof ShutdownEventSchema>;

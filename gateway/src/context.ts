/** What methods and the handshake share: one object per running gateway. */
import type { ChannelState } from '@tether/protocol';
import type { DeviceIdentity, PairingStore } from '@tether/pairing';
import type { AgentService } from './agent/service-types.js';
import type { Broadcaster } from './broadcast.js';
import type { GatewayConfig } from './config.js';
import type { ConfigState } from './config/reload.js';
import type { Connection } from './connection.js';
import type { ExecApprovalRegistry } from './exec-approvals/registry.js';
import type { PublicKeyCache } from './key-cache.js';
import type { Logger } from './log.js';
import type { PresenceAnnouncer } from './presence.js';
import type { MediaStore } from './media/media-store.js';
import type { IdempotencyCache } from './nodes/idempotency.js';
import type { InvokeSuccess, NodeRegistry } from './nodes/registry.js';
import type { WaitingRoom } from './nodes/waiting-room.js';
import type { ConnectionBudget } from './connection-budget.js';
import type { ReadinessCheck } from './readiness.js';
import type { SessionStore } from './agent/sessions/session-store.js';
import type { ToolBackend } from './agent/tool-backend.js';
import type { McpHttpOptions } from './mcp/mcp-http.js';
import type { ChannelPairing } from './channels/pairing-codes.js';
import type { Channel } from './channels/channel.js';
import type { DiscoveryHandle } from './discovery/advertiser.js';

export interface GatewayContext {
  /** Replaced when tether.json is reloaded: read it per use (`gateway.config.x`), never keep a copy. */
  config: GatewayConfig;
  /** Whether the last load of tether.json worked (absent: no reloader wired). */
  configState?(): ConfigState;
  version: string;
  startedAtMs: number;
  sharedToken: string | undefined;
  listen: { host: string; port: number };
  /** SHA-256 (64 lowercase hex) of the TLS certificate's DER when the gateway serves wss; undefined on plain ws. */
  tlsFingerprint: string | undefined;
  store: PairingStore;
  registry: NodeRegistry;
  execApprovals: ExecApprovalRegistry;
  media: MediaStore;
  publicKeys: PublicKeyCache;
  waitingRoom: WaitingRoom;
  broadcaster: Broadcaster;
  presence: PresenceAnnouncer;
  identity: DeviceIdentity;
  invokeCache: IdempotencyCache<InvokeSuccess>;
  readiness: ReadinessCheck;
  /** Sockets held open while their pairing waits: capped per address and in total. */
  heldSockets: ConnectionBudget;
  /** The embedded agent (it answers AGENT_NOT_CONFIGURED itself when no model is set). */
  agent: AgentService;
  agentSessions: SessionStore;
  /** The device tools under the agent's policy: the agent's loop, `/mcp` and `tools.*` use them. */
  tools: ToolBackend;
  /** `/mcp`: the same tools as Streamable HTTP, behind the gateway token (one options object holds its sessions). */
  mcp: McpHttpOptions;
  /** Chat channels: their state, and the strangers waiting for the owner's approval. */
  channels: { pairing: ChannelPairing; list(): ChannelState[]; webhook(name: string): Channel['handleWebhook'] };
  /** The mDNS beacon's supervisor, when the server started one (absent: discovery not wired). */
  discovery?: DiscoveryHandle;
  log: Logger;
  methodNames(): string[];
  /** Closes every live socket of a device (all roles, or one role). */
  disconnectDevice(deviceId: string, code: number, reason: string, role?: string): number;
  connectionsOf(deviceId: string): Connection[];
}

export const GATEWAY_EVENTS = [
  'connect.challenge',
  'tick',
  'presence',
  'shutdown',
  'device.pair.requested',
  'device.pair.resolved',
  'node.pair.resolved',
  'node.invoke.request',
  'node.invoke.cancel',
  'exec.approval.requested',
  'exec.approval.resolved',
  'agent',
  'chat',
  'tools.changed',
  'config',
  'logs.line',
] as const;

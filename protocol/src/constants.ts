/** Wire constants shared by the gateway, the node-agent and the CLI (values from OpenClaw's server-constants). */
export const SUPPORTED_PROTOCOLS = [3, 4] as const;
export const PROTOCOL_VERSION = 4;

export const MAX_PREAUTH_PAYLOAD_BYTES = 64 * 1024;
export const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;
export const MAX_BUFFERED_BYTES = 50 * 1024 * 1024;
export const TICK_INTERVAL_MS = 30_000;
export const HANDSHAKE_TIMEOUT_MS = 15_000;
export const DEVICE_SIGNATURE_SKEW_MS = 120_000;
export const DEFAULT_INVOKE_TIMEOUT_MS = 30_000;
export const IDEMPOTENCY_TTL_MS = 5 * 60_000;
export const IDEMPOTENCY_MAX = 1000;
export const PENDING_PAIRING_TTL_MS = 5 * 60_000;
/** How soon a waiting node retries its connect while pairing is pending; approval shows up within this. */
export const PAIRING_RETRY_MS = 1_000;
export const DEFAULT_GATEWAY_PORT = 18789;

export const ROLES = ['operator', 'node'] as const;
export type Role = (typeof ROLES)[number];

export const OPERATOR_SCOPES = [
  'operator.read',
  'operator.write',
  'operator.admin',
  'operator.approvals',
  'operator.questions',
  'operator.pairing',
  'operator.talk',
  'operator.talk.secrets',
] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

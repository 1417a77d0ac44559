/**
 * The one catalogue of error codes and close codes.
 *
 * `ErrorShape.code` is one of OpenClaw's few wire codes (clients branch on them); the precise,
 * stable machine code goes in `details.code`, as OpenClaw does.
 */
export const ErrorCode = {
  INVALID_REQUEST: 'INVALID_REQUEST',
  NOT_PAIRED: 'NOT_PAIRED',
  FORBIDDEN: 'FORBIDDEN',
  UNAVAILABLE: 'UNAVAILABLE',
  APPROVAL_NOT_FOUND: 'APPROVAL_NOT_FOUND',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const DetailCode = {
  INVALID_FRAME: 'INVALID_FRAME',
  INVALID_PARAMS: 'INVALID_PARAMS',
  UNKNOWN_METHOD: 'UNKNOWN_METHOD',
  UNAUTHORIZED_ROLE: 'UNAUTHORIZED_ROLE',
  MISSING_SCOPE: 'MISSING_SCOPE',
  PROTOCOL_MISMATCH: 'PROTOCOL_MISMATCH',
  AUTH_TOKEN_MISSING: 'AUTH_TOKEN_MISSING',
  AUTH_TOKEN_MISMATCH: 'AUTH_TOKEN_MISMATCH',
  DEVICE_IDENTITY_REQUIRED: 'DEVICE_IDENTITY_REQUIRED',
  DEVICE_AUTH_DEVICE_ID_MISMATCH: 'DEVICE_AUTH_DEVICE_ID_MISMATCH',
  DEVICE_AUTH_SIGNATURE_EXPIRED: 'DEVICE_AUTH_SIGNATURE_EXPIRED',
  DEVICE_AUTH_NONCE_REQUIRED: 'DEVICE_AUTH_NONCE_REQUIRED',
  DEVICE_AUTH_NONCE_MISMATCH: 'DEVICE_AUTH_NONCE_MISMATCH',
  DEVICE_AUTH_SIGNATURE_INVALID: 'DEVICE_AUTH_SIGNATURE_INVALID',
  DEVICE_AUTH_PUBLIC_KEY_INVALID: 'DEVICE_AUTH_PUBLIC_KEY_INVALID',
  PAIRING_REQUIRED: 'PAIRING_REQUIRED',
  PAIRING_REJECTED: 'PAIRING_REJECTED',
  UNKNOWN_REQUEST_ID: 'UNKNOWN_REQUEST_ID',
  UNKNOWN_DEVICE: 'UNKNOWN_DEVICE',
  UNKNOWN_NODE: 'UNKNOWN_NODE',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  NOT_CONNECTED: 'NOT_CONNECTED',
  NODE_DISCONNECTED: 'NODE_DISCONNECTED',
  TIMEOUT: 'TIMEOUT',
  COMMAND_NOT_ALLOWED: 'COMMAND_NOT_ALLOWED',
  NODE_ID_MISMATCH: 'NODE_ID_MISMATCH',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  EXEC_DENIED: 'EXEC_DENIED',
  APPROVAL_NOT_FOUND: 'APPROVAL_NOT_FOUND',
  APPROVALS_PENDING_LIMIT: 'APPROVALS_PENDING_LIMIT',
  COMMAND_FAILED: 'COMMAND_FAILED',
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
  CONNECT_FAILED: 'CONNECT_FAILED',
  /** The gateway's TLS certificate is not the pinned one; nothing was sent. */
  PIN_MISMATCH: 'PIN_MISMATCH',
  INTERNAL: 'INTERNAL',
  /** A browser page (an upgrade with an Origin header) that gateway.allowedOrigins does not list. */
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  /** Too many unknown devices are waiting for approval (in total or from one address); retry later. */
  PAIRING_THROTTLED: 'PAIRING_THROTTLED',
  /** Too many sockets in their handshake, or held while pending, from one address or in total. */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** A connect declares more commands or caps than a device may ask for. */
  SURFACE_TOO_LARGE: 'SURFACE_TOO_LARGE',
  /** A node's result does not match its command's result schema; it was not relayed. */
  INVALID_NODE_RESULT: 'INVALID_NODE_RESULT',
  /** The approver lacks a scope that approving this request would grant. */
  APPROVAL_SCOPE_MISSING: 'APPROVAL_SCOPE_MISSING',
  /** No model is configured for the embedded agent; the message names the keys and variables to set. */
  AGENT_NOT_CONFIGURED: 'AGENT_NOT_CONFIGURED',
  /** A session key not shaped `agent:<agentId>:<rest>` (or too long, or with control characters). */
  INVALID_SESSION_KEY: 'INVALID_SESSION_KEY',
  /** An idempotency key reused for a different request (another agent message or session). */
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  /** The agent has as many runs going or queued as it takes; retry later. */
  AGENT_BUSY: 'AGENT_BUSY',
  /** A setup code's bootstrap token this gateway does not know (mistyped, another gateway's, or forgotten). */
  BOOTSTRAP_TOKEN_INVALID: 'BOOTSTRAP_TOKEN_INVALID',
  /** A setup code past its expiry. */
  BOOTSTRAP_TOKEN_EXPIRED: 'BOOTSTRAP_TOKEN_EXPIRED',
  /** A setup code an operator revoked. */
  BOOTSTRAP_TOKEN_REVOKED: 'BOOTSTRAP_TOKEN_REVOKED',
  /** A setup code another device (key) redeemed already: single use. */
  BOOTSTRAP_TOKEN_USED: 'BOOTSTRAP_TOKEN_USED',
  /** A setup code presented by an operator connection: codes pair nodes only. */
  BOOTSTRAP_ROLE_NOT_ALLOWED: 'BOOTSTRAP_ROLE_NOT_ALLOWED',
  /** `device.setup.revoke` of an id the gateway does not know. */
  UNKNOWN_SETUP_CODE: 'UNKNOWN_SETUP_CODE',
  /** Too many live setup codes at once. */
  TOO_MANY_SETUP_CODES: 'TOO_MANY_SETUP_CODES',
} as const;
export type DetailCode = (typeof DetailCode)[keyof typeof DetailCode];

export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_MISMATCH: 1002,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  TICK_TIMEOUT: 4000,
  CLIENT_INVALIDATED: 4001,
} as const;

export interface ErrorShape {
  code: string;
  message: string;
  details?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
}

export interface ErrorDetails {
  code?: string;
  [key: string]: unknown;
}

/** An error that crosses the wire. `details.code` is the stable machine code. */
export class GatewayError extends Error {
  readonly code: string;
  readonly details: ErrorDetails | undefined;
  readonly retryable: boolean | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(shape: ErrorShape) {
    super(shape.message);
    this.name = 'GatewayError';
    this.code = shape.code;
    this.details = isRecord(shape.details) ? (shape.details as ErrorDetails) : undefined;
    this.retryable = shape.retryable;
    this.retryAfterMs = shape.retryAfterMs;
  }

  /** The precise machine code: `details.code` when present, else the wire code. */
  get detailCode(): string {
    return typeof this.details?.code === 'string' ? this.details.code : this.code;
  }

  toShape(): ErrorShape {
    const shape: ErrorShape = { code: this.code, message: this.message };
    if (this.details !== undefined) shape.details = this.details;
    if (this.retryable !== undefined) shape.retryable = this.retryable;
    if (this.retryAfterMs !== undefined) shape.retryAfterMs = this.retryAfterMs;
    return shape;
  }
}

export function gatewayError(
  code: ErrorCode,
  message: string,
  details?: ErrorDetails,
  extra?: { retryable?: boolean; retryAfterMs?: number },
): GatewayError {
  return new GatewayError({ code, message, details, ...extra });
}

export function invalidParams(message: string, details?: ErrorDetails): GatewayError {
  return gatewayError(ErrorCode.INVALID_REQUEST, message, { code: DetailCode.INVALID_PARAMS, ...details });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

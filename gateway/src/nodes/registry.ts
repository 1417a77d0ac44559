/**
 * Connected nodes and the invokes in flight. The last connection of a node wins; a node that
 * disconnects fails its invokes at once with a retryable error; late results are dropped.
 */
import { randomUUID } from 'node:crypto';
import { checkCommandResult, DetailCode, mediaFileExtension, ErrorCode, GatewayError, type NodeInvokeResultParams } from '@tether/protocol';
import type { Connection } from '../connection.js';

/**
 * Codes only the gateway may put in `details.code`: they tell a caller what to approve or fix, or what
 * state a node is in, so a node answering with one of them would be speaking for the gateway.
 */
const GATEWAY_ONLY_CODES: ReadonlySet<string> = new Set(
  Object.values(DetailCode).filter(
    (code) =>
      /^(PAIRING_|AUTH_|DEVICE_AUTH_|DEVICE_IDENTITY|APPROVAL_SCOPE|ORIGIN_)/.test(code) ||
      ([
        DetailCode.MISSING_SCOPE,
        DetailCode.UNAUTHORIZED_ROLE,
        DetailCode.INVALID_NODE_RESULT,
        DetailCode.NOT_CONNECTED,
        DetailCode.NODE_DISCONNECTED,
        DetailCode.UNKNOWN_NODE,
        DetailCode.UNKNOWN_DEVICE,
        DetailCode.UNKNOWN_REQUEST_ID,
        DetailCode.COMMAND_NOT_ALLOWED,
        DetailCode.SHUTTING_DOWN,
        DetailCode.STORE_UNAVAILABLE,
        DetailCode.TOO_MANY_CONNECTIONS,
        DetailCode.INTERNAL,
      ] as readonly string[]).includes(code),
  ),
);

export interface NodeSession {
  nodeId: string;
  connection: Connection;
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  version?: string;
  clientId: string;
  clientMode: string;
  remoteIp: string;
  pathEnv?: string;
  caps: string[];
  declaredCommands: string[];
  /** Approved surface; replaced live when an operator approves a surface upgrade. */
  approvedCommands: Set<string>;
  permissions?: Record<string, boolean>;
  connectedAtMs: number;
}

export interface InvokeSuccess {
  payload: unknown;
  payloadJSON: string | null;
}

interface InFlight {
  nodeId: string;
  connection: Connection;
  command: string;
  /** A node may upload media once per invoke, and only while the invoke runs. */
  uploaded: boolean;
  resolve: (value: InvokeSuccess) => void;
  reject: (error: GatewayError) => void;
  timer: NodeJS.Timeout;
}

export interface InvokeRequest {
  command: string;
  params: unknown;
  timeoutMs: number;
  idempotencyKey?: string;
  sessionKey?: string;
}

export class NodeRegistry {
  private readonly byId = new Map<string, NodeSession>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly lastDisconnectedAt = new Map<string, number>();

  register(session: NodeSession): void {
    this.byId.set(session.nodeId, session);
  }

  /** Removes the node if this connection is still its current one, and fails its invokes. */
  unregister(connection: Connection, nodeId: string): void {
    const current = this.byId.get(nodeId);
    if (current?.connection === connection) {
      this.byId.delete(nodeId);
      this.lastDisconnectedAt.set(nodeId, Date.now());
    }
    for (const [id, invoke] of this.inFlight) {
      if (invoke.connection !== connection) continue;
      this.settle(id, invoke);
      invoke.reject(
        nodeFailure(ErrorCode.UNAVAILABLE, `node disconnected (${invoke.command})`, DetailCode.NODE_DISCONNECTED, true, {
          retryable: true,
        }),
      );
    }
  }

  get(nodeId: string): NodeSession | undefined {
    return this.byId.get(nodeId);
  }

  connected(): Iterable<NodeSession> {
    return this.byId.values();
  }

  get connectedCount(): number {
    return this.byId.size;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  lastDisconnectedAtMs(nodeId: string): number | undefined {
    return this.lastDisconnectedAt.get(nodeId);
  }

  invoke(session: NodeSession, request: InvokeRequest): Promise<InvokeSuccess> {
    const id = randomUUID();
    return new Promise<InvokeSuccess>((resolve, reject) => {
      const timer = setTimeout(() => {
        const invoke = this.inFlight.get(id);
        if (!invoke) return;
        this.settle(id, invoke);
        session.connection.sendEvent('node.invoke.cancel', { invokeId: id, nodeId: session.nodeId });
        reject(
          nodeFailure(ErrorCode.UNAVAILABLE, 'TIMEOUT: node invoke timed out', DetailCode.TIMEOUT, true, {
            retryable: true,
            nodeError: { code: 'TIMEOUT', message: 'node invoke timed out' },
          }),
        );
      }, request.timeoutMs);
      this.inFlight.set(id, { nodeId: session.nodeId, connection: session.connection, command: request.command, uploaded: false, resolve, reject, timer });
      const payload: Record<string, unknown> = {
        id,
        nodeId: session.nodeId,
        command: request.command,
        // Always a string: OpenClaw node hosts reject a null paramsJSON for system.* commands.
        paramsJSON: JSON.stringify(request.params ?? {}),
        timeoutMs: request.timeoutMs,
      };
      if (request.idempotencyKey) payload.idempotencyKey = request.idempotencyKey;
      if (request.sessionKey) payload.sessionKey = request.sessionKey;
      session.connection.sendEvent('node.invoke.request', payload);
    });
  }

  /**
   * Whether `nodeId` may upload media in `format` now, for invoke `invokeId`: it must be a media
   * command in flight on that node, answering in that format, that has not uploaded yet. Claims the
   * upload when it may.
   */
  claimUpload(nodeId: string, invokeId: string, format: string): boolean {
    const invoke = this.inFlight.get(invokeId);
    if (!invoke || invoke.nodeId !== nodeId || invoke.uploaded) return false;
    // Only a media command, and only in a format that command answers with: a system.which in flight
    // is no licence to store bytes.
    if (mediaFileExtension(invoke.command, format) === undefined) return false;
    invoke.uploaded = true;
    return true;
  }

  /** Applies a `node.invoke.result`. Returns false when it is late or unknown (and so dropped). */
  complete(connection: Connection, result: NodeInvokeResultParams): boolean {
    const invoke = this.inFlight.get(result.id);
    if (!invoke || invoke.connection !== connection || invoke.nodeId !== result.nodeId) return false;
    // Decided before the invoke is settled, and whatever happens: a result that throws while it is
    // decoded (a payload nested 200,000 deep overflows JSON.stringify) must still end the invoke.
    let outcome: { ok: true; value: InvokeSuccess } | { ok: false; error: GatewayError };
    try {
      outcome = result.ok ? checkedSuccess(invoke.command, result) : { ok: false, error: nodeError(result) };
    } catch (error) {
      outcome = { ok: false, error: invalidResult(`it could not be decoded (${error instanceof Error ? error.name : 'error'})`) };
    }
    this.settle(result.id, invoke);
    if (outcome.ok) invoke.resolve(outcome.value);
    else invoke.reject(outcome.error);
    return true;
  }

  /** Fails everything in flight (gateway shutdown). */
  failAll(error: GatewayError): void {
    for (const [id, invoke] of this.inFlight) {
      this.settle(id, invoke);
      invoke.reject(error);
    }
  }

  private settle(id: string, invoke: InFlight): void {
    clearTimeout(invoke.timer);
    this.inFlight.delete(id);
  }
}

/**
 * A node is another party: its answer is checked against the command's result schema before any
 * operator, agent or CLI sees it (a path-like `format` once made the CLI write anywhere).
 */
function checkedSuccess(command: string, result: NodeInvokeResultParams): { ok: true; value: InvokeSuccess } | { ok: false; error: GatewayError } {
  const decoded = decodePayload(result);
  const check = checkCommandResult(command, decoded.payload);
  return check.ok ? { ok: true, value: decoded } : { ok: false, error: invalidResult(check.reason) };
}

function invalidResult(reason: string): GatewayError {
  return new GatewayError({
    code: ErrorCode.UNAVAILABLE,
    message: `the node answered with an invalid result, which was not relayed (${reason}); check the node's version and logs`,
    details: { code: DetailCode.INVALID_NODE_RESULT, nodeCommandDispatched: true, reason },
  });
}

/**
 * The node's words are relayed, bounded. Its code must look like a code and must not be one the
 * gateway itself answers with, so a rogue node cannot pass for the gateway (say, as "not paired").
 */
function nodeError(result: NodeInvokeResultParams): GatewayError {
  const claimed = result.error?.code || 'UNAVAILABLE';
  const code = /^[A-Z][A-Z0-9_]{0,63}$/.test(claimed) && !GATEWAY_ONLY_CODES.has(claimed) ? claimed : 'NODE_ERROR';
  const message = (result.error?.message || 'node reported an error').slice(0, 4_000);
  return nodeFailure(ErrorCode.UNAVAILABLE, `${code}: ${message}`, code, true, { nodeError: { code, message } });
}

function decodePayload(result: NodeInvokeResultParams): InvokeSuccess {
  if (typeof result.payloadJSON === 'string') {
    try {
      return { payload: JSON.parse(result.payloadJSON), payloadJSON: result.payloadJSON };
    } catch {
      return { payload: { payloadJSON: result.payloadJSON }, payloadJSON: result.payloadJSON };
    }
  }
  const payload = result.payload ?? null;
  return { payload, payloadJSON: payload === null ? null : JSON.stringify(payload) };
}

function nodeFailure(
  code: ErrorCode,
  message: string,
  detailCode: string,
  dispatched: boolean,
  extra: { retryable?: boolean; nodeError?: { code: string; message: string } },
): GatewayError {
  return new GatewayError({
    code,
    message,
    details: {
      code: detailCode,
      nodeError: extra.nodeError ?? { code: detailCode, message },
      nodeCommandDispatched: dispatched,
    },
    retryable: extra.retryable,
  });
}

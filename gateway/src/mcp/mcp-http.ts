/**
 * MCP over Streamable HTTP on the gateway port (`/mcp`): stateful sessions (`mcp-session-id`), so a
 * client's GET stream receives `notifications/tools/list_changed` when nodes come and go.
 *
 * In front of the SDK's transport, in this order: browser Origins not allowed are refused (403: a
 * page that DNS-rebinds a name to this host must not drive the tools), the gateway token is required
 * (401), the body is bounded (413) and parsed here, sessions are capped (503) and expire when idle.
 * Every refusal is the house JSON `{error: {code, message}}`.
 *
 * Importing this module loads no SDK code: the SDK and mcp-server.ts are imported on the first
 * request, so a gateway nobody asks for MCP never loads them.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { ToolBackend } from '../agent/tool-backend.js';
import type { Logger } from '../log.js';
import { failAndDrain, json } from '../http/respond.js';
import type { TetherMcpServer } from './mcp-server.js';

export interface McpHttpOptions {
  backend: ToolBackend;
  /** Whether the request carries the gateway's credential, e.g. `(q) => isSharedToken(gateway, bearer(q))`. */
  authorize(request: IncomingMessage): boolean;
  /**
   * Whether a browser Origin may use the endpoint. Requests without an Origin header (every non-browser
   * MCP client) pass; absent this option, every Origin is refused.
   */
  originAllowed?(origin: string): boolean;
  log: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Name and version in the initialize result. */
  serverInfo?: { name: string; version: string };
  /** Largest POST body, bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Most sessions open at once; an initialize beyond it is answered 503. Default 32. */
  maxSessions?: number;
  /** A session with no request (and no open stream) for this long is closed. Default 30 minutes. */
  sessionIdleMs?: number;
  /** Debounce for list_changed notifications. */
  listChangedDebounceMs?: number;
}

export interface McpHttpHandler {
  /** Serves one request to `/mcp` (any method). Never rejects: failures become JSON answers. */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** Ends every session (and its open streams). Call on gateway shutdown, before server.close(). */
  close(): Promise<void>;
  /** Sessions open right now. */
  readonly sessionCount: number;
}

export const MCP_PATH = '/mcp';
export const DEFAULT_MCP_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MCP_MAX_SESSIONS = 32;
export const DEFAULT_MCP_SESSION_IDLE_MS = 30 * 60_000;
const SESSION_HEADER = 'mcp-session-id';

interface Session {
  id: string;
  transport: StreamableHTTPServerTransport;
  server: TetherMcpServer;
  lastSeenMs: number;
  /** Requests being answered right now (an open GET stream counts until it closes). */
  active: number;
}

type Sdk = {
  StreamableHTTPServerTransport: typeof StreamableHTTPServerTransport;
  createMcpServer: typeof import('./mcp-server.js').createMcpServer;
  isInitializeRequest: typeof import('@modelcontextprotocol/sdk/types.js').isInitializeRequest;
};
let sdk: Promise<Sdk> | undefined;
function loadSdk(): Promise<Sdk> {
  sdk ??= Promise.all([import('@modelcontextprotocol/sdk/server/streamableHttp.js'), import('./mcp-server.js'), import('@modelcontextprotocol/sdk/types.js')]).then(
    ([http, server, types]) => ({ StreamableHTTPServerTransport: http.StreamableHTTPServerTransport, createMcpServer: server.createMcpServer, isInitializeRequest: types.isInitializeRequest }),
  );
  // A failed load (missing package) is retried on the next request rather than cached forever.
  sdk.catch(() => (sdk = undefined));
  return sdk;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function createMcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MCP_MAX_BODY_BYTES;
  const maxSessions = options.maxSessions ?? DEFAULT_MCP_MAX_SESSIONS;
  const idleMs = options.sessionIdleMs ?? DEFAULT_MCP_SESSION_IDLE_MS;
  const serverInfo = options.serverInfo ?? { name: 'tether', version: '0.1.0' };
  const sessions = new Map<string, Session>();
  let sweeper: NodeJS.Timeout | undefined;
  let closing = false;

  const endSession = (session: Session, why: string) => {
    if (sessions.get(session.id) !== session) return;
    sessions.delete(session.id);
    options.log.debug(`MCP session ${session.id.slice(0, 8)} ended (${why}); ${sessions.size} open`);
    if (sessions.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
    session.server.close().catch(() => undefined);
  };

  const sweep = (now = Date.now()) => {
    for (const session of sessions.values()) {
      if (session.active === 0 && now - session.lastSeenMs > idleMs) endSession(session, 'idle');
    }
  };

  const startSweeper = () => {
    if (sweeper) return;
    sweeper = setInterval(sweep, Math.max(1_000, Math.min(idleMs / 2, 60_000)));
    sweeper.unref();
  };

  /** Counts the request as activity from when it starts until its response is done. */
  const track = (session: Session, response: ServerResponse) => {
    session.active += 1;
    session.lastSeenMs = Date.now();
    response.once('close', () => {
      session.active -= 1;
      session.lastSeenMs = Date.now();
    });
  };

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? '';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      throw new RequestError(405, 'METHOD_NOT_ALLOWED', `${method.slice(0, 16)} is not allowed on ${MCP_PATH}; MCP uses POST, GET and DELETE`, { allow: 'POST, GET, DELETE' });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !(options.originAllowed?.(origin) ?? false)) {
      throw new RequestError(403, 'ORIGIN_NOT_ALLOWED', `requests from the web origin ${JSON.stringify(origin.slice(0, 200))} may not use ${MCP_PATH}`);
    }
    if (!options.authorize(request)) {
      throw new RequestError(401, 'UNAUTHORIZED', `${MCP_PATH} needs the gateway token: send "Authorization: Bearer <token>"`, { 'www-authenticate': 'Bearer realm="tether"' });
    }
    if (closing) throw new RequestError(503, 'UNAVAILABLE', 'the gateway is shutting down', { 'retry-after': '5' });

    const headerId = request.headers[SESSION_HEADER];
    const sessionId = Array.isArray(headerId) ? headerId[0] : headerId;
    const body = method === 'POST' ? await readJsonBody(request, maxBodyBytes) : undefined;
    const { StreamableHTTPServerTransport, createMcpServer, isInitializeRequest } = await loadSdk();

    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (!session) throw new RequestError(404, 'SESSION_NOT_FOUND', 'no such MCP session (it ended or expired); initialize a new one');
      track(session, response);
      await session.transport.handleRequest(request, response, body);
      return;
    }

    if (method !== 'POST' || !isInitializeRequest(body)) {
      throw new RequestError(400, 'SESSION_REQUIRED', `send the ${SESSION_HEADER} header from initialize; only an initialize request may come without one`);
    }
    sweep();
    if (sessions.size >= maxSessions) {
      throw new RequestError(503, 'TOO_MANY_SESSIONS', `${maxSessions} MCP sessions are open; close one (DELETE ${MCP_PATH}) or wait for idle ones to expire`, { 'retry-after': '30' });
    }

    const server = createMcpServer(options.backend, serverInfo, { listChangedDebounceMs: options.listChangedDebounceMs, log: options.log });
    let session: Session | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      maxRequestBodySize: maxBodyBytes,
      onsessioninitialized: (id) => {
        session = { id, transport, server, lastSeenMs: Date.now(), active: 0 };
        sessions.set(id, session);
        track(session, response);
        startSweeper();
        options.log.debug(`MCP session ${id.slice(0, 8)} opened; ${sessions.size} open`);
      },
      onsessionclosed: (id) => {
        const ended = sessions.get(id);
        if (ended) endSession(ended, 'closed by the client');
      },
    });
    transport.onerror = (error) => options.log.debug(`MCP transport: ${error.message}`);
    // Set before connect: the SDK chains its own handler after ours.
    transport.onclose = () => {
      if (session) endSession(session, 'transport closed');
    };
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
    // An initialize the SDK refused never became a session: nothing may stay subscribed to the backend.
    if (!session) await server.close().catch(() => undefined);
  }

  return {
    get sessionCount() {
      return sessions.size;
    },
    async handle(request, response) {
      try {
        await serve(request, response);
      } catch (error) {
        if (response.headersSent) {
          response.destroy();
          return;
        }
        if (error instanceof RequestError) {
          request.resume();
          json(response, error.status, { error: { code: error.code, message: error.message } }, error.headers);
          return;
        }
        options.log.error(`MCP ${(request.method ?? '?').slice(0, 16)} failed: ${(error as Error)?.stack ?? String(error)}`);
        failAndDrain(request, response, 500, 'INTERNAL', 'the gateway could not answer this MCP request; see its log');
      }
    },
    async close() {
      closing = true;
      if (sweeper) clearInterval(sweeper);
      sweeper = undefined;
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(open.map((session) => session.server.close().catch(() => undefined)));
    },
  };
}

const handlers = new WeakMap<McpHttpOptions, McpHttpHandler>();

/**
 * Serves one `/mcp` request. Sessions live with the options object: pass the same one every time
 * (create it once, e.g. on the gateway context), or hold a handler from createMcpHttpHandler.
 */
export function handleMcpHttp(options: McpHttpOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  let handler = handlers.get(options);
  if (!handler) handlers.set(options, (handler = createMcpHttpHandler(options)));
  return handler.handle(request, response);
}

/** Ends the sessions handleMcpHttp keeps for these options (gateway shutdown). */
export async function closeMcpHttp(options: McpHttpOptions): Promise<void> {
  const handler = handlers.get(options);
  handlers.delete(options);
  await handler?.close();
}

/** Reads at most `limit` bytes of JSON; a larger body is refused before it is all read. */
function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new RequestError(413, 'PAYLOAD_TOO_LARGE', `an MCP message may be at most ${limit} bytes; this one declares ${declared}`, { connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: Error | undefined, value?: unknown) => {
      if (done) return;
      done = true;
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finish(new RequestError(413, 'PAYLOAD_TOO_LARGE', `an MCP message may be at most ${limit} bytes`, { connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        finish(undefined, JSON.parse(text));
      } catch {
        finish(new RequestError(400, 'BAD_REQUEST', 'the body is not JSON; MCP messages are JSON-RPC objects'));
      }
    };
    const onError = (error: Error) => finish(new RequestError(400, 'BAD_REQUEST', `the request body could not be read: ${error.message}`));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}

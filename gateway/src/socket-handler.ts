/**
 * One socket from upgrade to close: challenge, handshake deadline, pre-auth frame cap, then
 * admission, registration and method dispatch.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import {
  CloseCode,
  ConnectParamsSchema,
  createValidator,
  DetailCode,
  ErrorCode,
  HANDSHAKE_TIMEOUT_MS,
  MAX_PREAUTH_PAYLOAD_BYTES,
  parseFrame,
  safeLabel,
  type ConnectParams,
  type RequestFrame,
} from '@tether/protocol';
import { normalizeRemoteIp } from './address.js';
import { Connection } from './connection.js';
import type { GatewayContext } from './context.js';
import { admitConnection } from './handshake.js';
import { buildHelloOk } from './hello.js';
import type { MethodRegistry } from './method-registry.js';

const connectParams = createValidator(ConnectParamsSchema);
/** A held node turned away by the cap retries after this long (stock hosts back off on their own too). */
const HELD_RETRY_MS = 30_000;
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip'];

/**
 * `isLoopbackPeer`: the TCP peer is on this machine and no proxy header says it speaks for someone
 * else. That alone admits nothing (any local process or forwarder qualifies); silent pairing also
 * needs the shared token (see admitConnection).
 */
export function clientAddress(request: IncomingMessage): { remoteIp: string; isLoopbackPeer: boolean } {
  const remoteIp = normalizeRemoteIp(request.socket.remoteAddress);
  const loopback = remoteIp === '::1' || remoteIp.startsWith('127.');
  const forwarded = FORWARDING_HEADERS.some((header) => request.headers[header] !== undefined);
  return { remoteIp, isLoopbackPeer: loopback && !forwarded };
}

export function handleSocket(gateway: GatewayContext, methods: MethodRegistry, ws: WebSocket, request: IncomingMessage, releasePreAuth: () => void = () => undefined): void {
  const connection = new Connection(ws, { connId: randomUUID(), nonce: randomUUID(), ...clientAddress(request) });
  let phase: 'awaiting-connect' | 'admitting' | 'ready' | 'closed' = 'awaiting-connect';
  let releaseHeld: () => void = () => undefined;

  const handshakeTimer = setTimeout(() => {
    if (phase === 'awaiting-connect' || phase === 'admitting') connection.close(CloseCode.NORMAL, 'handshake timeout');
  }, HANDSHAKE_TIMEOUT_MS);

  connection.sendEvent('connect.challenge', { nonce: connection.nonce, ts: Date.now(), gatewayPublicKey: gateway.identity.publicKey });

  ws.on('message', (data, isBinary) => {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
    if (phase !== 'ready') {
      if (size > MAX_PREAUTH_PAYLOAD_BYTES) return connection.close(CloseCode.MESSAGE_TOO_BIG, 'preauth payload too large');
      if (phase !== 'awaiting-connect') return; // Nothing may be sent while admission runs.
    }
    if (isBinary) return connection.close(CloseCode.POLICY_VIOLATION, 'invalid request frame');
    const parsed = parseFrame(data.toString());
    if (phase === 'awaiting-connect') {
      void onFirstFrame(parsed);
      return;
    }
    if (!parsed.ok) {
      return connection.close(CloseCode.POLICY_VIOLATION, `invalid request frame: ${parsed.reason}`);
    }
    if (parsed.frame.type === 'req' && connection.session) {
      void methods.dispatch({ gateway, connection, session: connection.session }, parsed.frame);
    }
    // Clients send no events and no responses to the gateway; anything else is ignored.
  });

  async function onFirstFrame(parsed: ReturnType<typeof parseFrame>): Promise<void> {
    if (!parsed.ok || parsed.frame.type !== 'req') return connection.close(CloseCode.POLICY_VIOLATION, 'invalid request frame');
    const frame: RequestFrame = parsed.frame;
    if (frame.method !== 'connect') return refuseFrame(frame.id, 'invalid handshake: first request must be connect');
    if (!connectParams.check(frame.params)) return refuseFrame(frame.id, `invalid connect params: ${connectParams.lastError()}`);
    phase = 'admitting';
    const params: ConnectParams = frame.params;
    let admission;
    try {
      admission = await admitConnection(gateway, connection, params);
    } catch (error) {
      gateway.log.error(`admission failed: ${(error as Error).stack ?? String(error)}`);
      connection.sendError(frame.id, { code: ErrorCode.UNAVAILABLE, message: 'the gateway could not decide on this connection; see its log', details: { code: DetailCode.INTERNAL } });
      return connection.close(CloseCode.INTERNAL_ERROR, 'internal error');
    }
    if (!connection.isOpen) return;
    if (!admission.ok) {
      connection.sendError(frame.id, admission.error);
      return connection.close(admission.closeCode, admission.closeReason);
    }
    if (admission.waiting) {
      const held = gateway.heldSockets.acquire(connection.remoteIp);
      if (!held.ok) {
        connection.sendError(frame.id, {
          code: ErrorCode.UNAVAILABLE,
          message: `too many devices are waiting connected for approval (${held.limit} limit); approve or reject some with tether devices list, or retry later`,
          details: { code: DetailCode.TOO_MANY_CONNECTIONS, limit: held.limit },
          retryable: true,
          retryAfterMs: HELD_RETRY_MS,
        });
        return connection.close(CloseCode.TRY_AGAIN_LATER, 'too many waiting connections');
      }
      releaseHeld = held.release;
    }
    clearTimeout(handshakeTimer);
    // Admitted: the socket proved a key or the token, so it no longer counts against the stranger cap.
    releasePreAuth();
    const now = Date.now();
    connection.session = {
      role: admission.role,
      scopes: new Set(admission.scopes),
      deviceId: admission.deviceId,
      clientId: params.client.id,
      clientMode: params.client.mode,
      displayName: params.client.displayName,
      platform: params.client.platform,
      protocol: admission.protocol,
      connectedAtMs: now,
      ownerToken: admission.owner === true,
      caps: new Set(params.caps ?? []),
    };
    connection.sendResult(frame.id, buildHelloOk(gateway, connection, admission));
    phase = 'ready';
    gateway.broadcaster.add(connection);
    if (admission.role === 'node' && admission.deviceId) {
      gateway.registry.register({
        nodeId: admission.deviceId,
        connection,
        // A paired node goes by the name it was approved under (see SeenInfo); a held one by its claim.
        displayName: admission.device?.displayName ?? params.client.displayName,
        platform: params.client.platform,
        deviceFamily: params.client.deviceFamily,
        version: params.client.version,
        clientId: params.client.id,
        clientMode: params.client.mode,
        remoteIp: connection.remoteIp,
        pathEnv: params.pathEnv,
        caps: [...new Set(params.caps ?? [])],
        declaredCommands: [...new Set(params.commands ?? [])],
        // A node held while pending has no commands until an operator approves it.
        approvedCommands: new Set(admission.device?.approvedCommands ?? []),
        permissions: params.permissions,
        connectedAtMs: now,
      });
    }
    if (admission.waiting) {
      gateway.waitingRoom.add(connection, admission.waiting.claim, releaseHeld);
      gateway.log.info(`${safeLabel(params.client.displayName, 64, admission.deviceId)} waits connected for approval of request ${admission.waiting.request.requestId}`);
    }
    if (admission.deviceId) gateway.store.recordSeen(admission.deviceId, { atMs: now, remoteIp: connection.remoteIp });
    gateway.presence.changed();
  }

  function refuseFrame(id: string, message: string): void {
    connection.sendError(id, { code: ErrorCode.INVALID_REQUEST, message, details: { code: DetailCode.INVALID_FRAME } });
    connection.close(CloseCode.POLICY_VIOLATION, message);
  }


  ws.on('close', () => {
    const wasReady = phase === 'ready';
    phase = 'closed';
    clearTimeout(handshakeTimer);
    releasePreAuth();
    releaseHeld();
    const session = connection.session;
    if (!wasReady || !session) return;
    gateway.broadcaster.delete(connection);
    gateway.waitingRoom.delete(connection);
    gateway.execApprovals.dropOwner(connection);
    if (session.role === 'node' && session.deviceId) gateway.registry.unregister(connection, session.deviceId);
    if (session.deviceId) gateway.store.recordSeen(session.deviceId, { atMs: Date.now() });
    gateway.presence.changed();
  });

  ws.on('error', (error) => gateway.log.debug(`socket ${connection.connId}: ${error.message}`));
}

/**
 * The HTTP → WebSocket upgrade, where two boundaries are held before any frame is read:
 * - Browsers: a page the owner visits can open a WebSocket to loopback (browsers apply no CORS to
 *   WebSockets) and sign with WebCrypto. Browsers always send `Origin`; non-browser clients (the CLI,
 *   node-agents, OpenClaw's node host and CLI) send none. So an upgrade with an Origin header is
 *   refused unless `gateway.allowedOrigins` lists it or it is the gateway's own origin (its Control UI
 *   page, http/self-origins.ts), with a close reason the page's console shows.
 * - Floods: sockets still in their handshake are capped per address and in total.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { CloseCode, safeLabel } from '@tether/protocol';
import { normalizeRemoteIp } from './address.js';
import type { ConnectionBudget } from './connection-budget.js';
import { normalizeOrigin } from './config.js';
import type { GatewayContext } from './context.js';
import { allowedOriginsOf } from './http/self-origins.js';

export interface UpgradeDeps {
  gateway: GatewayContext;
  wss: WebSocketServer;
  preAuth: ConnectionBudget;
  /** Called with the accepted socket and a release for its pre-auth slot (call it once admitted or closed). */
  accept(ws: WebSocket, request: IncomingMessage, releasePreAuth: () => void): void;
}

/**
 * Undefined when the upgrade may proceed; else why not. Both `Origin` and the legacy
 * `Sec-WebSocket-Origin` (hybi-08 clients) are checked: either one marks a browser page.
 */
export function originRefusal(allowed: readonly string[], headers: IncomingMessage['headers']): string | undefined {
  const claimed = [headers.origin, headers['sec-websocket-origin']].filter((value) => value !== undefined);
  const refused = claimed.some((origin) => !allowed.includes(normalizeOrigin(Array.isArray(origin) ? origin.join(',') : origin)));
  return refused ? 'origin not allowed: add it to gateway.allowedOrigins to let that page connect' : undefined;
}

export function handleUpgrade(deps: UpgradeDeps, request: IncomingMessage, socket: Duplex, head: Buffer): void {
  // A peer that resets mid-upgrade must not become an unhandled 'error' event.
  socket.on('error', () => socket.destroy());
  // When the budget is full, the oldest socket of the fullest bucket is cut to make room: idle strangers
  // cannot keep the owner out, they can only push each other out.
  const slot = deps.preAuth.acquire(normalizeRemoteIp(request.socket.remoteAddress), () => socket.destroy());
  if (!slot.ok) {
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nretry-after: 5\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ error: { code: 'TOO_MANY_CONNECTIONS', message: `too many connections in their handshake (${slot.limit}); retry in a few seconds` } })}`);
    return;
  }
  socket.once('close', slot.release);
  const refusal = originRefusal(allowedOriginsOf(deps.gateway), request.headers);
  try {
    deps.wss.handleUpgrade(request, socket, head, (ws) => {
      if (refusal) {
        slot.release();
        deps.gateway.log.warn(`refused a WebSocket from a browser page (Origin ${safeLabel(String(request.headers.origin ?? request.headers['sec-websocket-origin']), 200)}); allow it with gateway.allowedOrigins`);
        ws.on('error', () => undefined);
        ws.close(CloseCode.POLICY_VIOLATION, refusal);
        setTimeout(() => ws.terminate(), 2_000).unref();
        return;
      }
      deps.accept(ws, request, slot.release);
    });
  } catch (error) {
    slot.release();
    deps.gateway.log.debug(`upgrade failed: ${(error as Error).message}`);
    socket.destroy();
  }
}

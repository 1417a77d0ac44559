/** The plain HTTP side of the gateway port: liveness and readiness probes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayContext } from './context.js';

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export function handleHttp(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && path === '/healthz') return json(response, 200, { ok: true, status: 'live' });
  if (request.method === 'GET' && path === '/readyz') {
    return json(response, 200, { ready: true, failing: [], uptimeMs: Date.now() - gateway.startedAtMs });
  }
  json(response, 404, { error: { code: 'NOT_FOUND', message: `no such endpoint: ${request.method} ${path}; this port serves WebSocket clients, /healthz and /readyz` } });
}

/** `/healthz` (the process answers) and `/readyz` (it can do its job: the pairing store reads and writes). */
import type { ServerResponse } from 'node:http';
import type { GatewayContext } from '../context.js';
import { json } from './respond.js';

export function liveness(gateway: GatewayContext, response: ServerResponse): void {
  json(response, 200, { ok: true, status: 'live', uptimeMs: Date.now() - gateway.startedAtMs });
}

export function readiness(gateway: GatewayContext, response: ServerResponse): void {
  const failing: { check: string; reason: string }[] = [];
  const store = gateway.readiness.current();
  if (!store.ok) failing.push({ check: 'pairing-store', reason: store.reason });
  const ready = failing.length === 0;
  json(response, ready ? 200 : 503, { ready, failing, uptimeMs: Date.now() - gateway.startedAtMs });
}

/**
 * Who an HTTP request to a media route is: the owner (the shared token as a Bearer token), or a
 * paired device presenting its current, unrevoked OPERATOR token under its own id
 * (`X-Tether-Device-Id`, 64 lower-case hex), granted one of `anyOf` by both its token and its
 * approval. One rule for /media and /agent-media, so the two cannot drift apart.
 */
import type { IncomingMessage } from 'node:http';
import type { GatewayContext } from '../context.js';
import { isSharedToken } from '../secrets.js';
import { bearer } from './respond.js';

const DEVICE_ID = /^[0-9a-f]{64}$/;

/** `ok`, or why not: no valid credential at all, or a paired operator without the scope. */
export type OperatorCheck = { ok: true } | { ok: false; reason: 'unauthenticated' } | { ok: false; reason: 'missing-scope'; deviceId: string };

export function checkOperatorCredential(gateway: GatewayContext, request: IncomingMessage, anyOf: readonly string[]): OperatorCheck {
  const token = bearer(request);
  if (isSharedToken(gateway, token)) return { ok: true };
  const deviceId = request.headers['x-tether-device-id'];
  if (!token || typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId) || !gateway.store.verifyToken(deviceId, 'operator', token)) {
    return { ok: false, reason: 'unauthenticated' };
  }
  const device = gateway.store.getPaired(deviceId);
  const granted = device?.tokens.operator?.scopes ?? [];
  const holds = (scope: string) => granted.includes(scope) && (device?.scopes.includes(scope) ?? false);
  if (!device?.roles.includes('operator') || !anyOf.some(holds)) return { ok: false, reason: 'missing-scope', deviceId };
  return { ok: true };
}

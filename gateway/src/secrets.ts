/** Comparing secrets (the shared token) without leaking their contents through timing. */
import { timingSafeEqual } from 'node:crypto';

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Whether `presented` is the gateway's shared token (always true when auth is off). */
export function isSharedToken(gateway: { config: { authMode: string }; sharedToken: string | undefined }, presented: string | undefined): boolean {
  if (gateway.config.authMode === 'none') return true;
  return gateway.sharedToken !== undefined && presented !== undefined && safeEqual(presented, gateway.sharedToken);
}

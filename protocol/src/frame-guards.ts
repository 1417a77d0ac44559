/**
 * Lenient structural checks for frames a client receives from a gateway. Clients only need the
 * discriminating fields, and compiling the Ajv validators costs ~35 ms on a cold start, a seventh
 * of a whole CLI command (OpenClaw's newer client uses lenient guards for the same reason). The
 * gateway still validates everything it receives strictly (`parseFrame`).
 */
import type { ErrorShape } from './errors.js';
import type { EventFrame, ResponseFrame } from './frames.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrorShape(value: unknown): value is ErrorShape {
  return isObject(value) && typeof value.code === 'string' && typeof value.message === 'string';
}

/** A `res` or `event` frame from a gateway, or undefined when it is neither (the client drops it). */
export function parseGatewayFrame(text: string): ResponseFrame | EventFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  if (value.type === 'res') {
    if (typeof value.id !== 'string' || typeof value.ok !== 'boolean') return undefined;
    if (value.error !== undefined && !isErrorShape(value.error)) return undefined;
    return value as unknown as ResponseFrame;
  }
  if (value.type === 'event') {
    if (typeof value.event !== 'string' || value.event === '') return undefined;
    if (value.seq !== undefined && !(Number.isInteger(value.seq) && (value.seq as number) >= 0)) return undefined;
    return value as unknown as EventFrame;
  }
  return undefined;
}

/** Flag parsing for the service commands (kept apart so it does not pull commander's command files). */
import { usageError } from '../output.js';

export function parsePortFlag(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || port < 1 || port > 65535) throw usageError(`--port takes a number from 1 to 65535, got "${String(value)}"`);
  return port;
}

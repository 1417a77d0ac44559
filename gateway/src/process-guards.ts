/**
 * The last line of defence for a gateway process: anything that still escapes every handler (a bug,
 * not a client's fault) is logged with its stack under a fixed marker instead of killing the process
 * and every node's connection with it. The end-to-end tests fail when the marker appears, so an
 * escape is found in CI rather than in someone's home server.
 */
import type { Logger } from './log.js';

export const UNCAUGHT_MARKER = 'TETHER-UNCAUGHT';

let installed = false;

export function installProcessGuards(log: Logger): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (error, origin) => {
    log.error(`${UNCAUGHT_MARKER} ${origin}: ${error?.stack ?? String(error)}`);
  });
  process.on('unhandledRejection', (reason) => {
    log.error(`${UNCAUGHT_MARKER} unhandledRejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
}

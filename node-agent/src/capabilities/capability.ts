/**
 * The one interface every command family implements (system now; camera, screen, location later).
 * A node advertises only the commands of providers whose `detect()` found a working backend.
 */

export type Detection = { available: true; backend: string } | { available: false; reason: string; fix?: string };

export interface CapabilityProvider {
  /** The family name, the part before the dot: `system` for `system.run`. */
  readonly family: string;
  readonly commands: readonly string[];
  /** Never throws for a missing backend: it reports why, and how to fix it. */
  detect(): Promise<Detection>;
  /** Validates `params`, runs `command` and resolves with the result object (sent as payloadJSON). */
  run(command: string, params: unknown, signal: AbortSignal): Promise<unknown>;
}

/** Stable codes a provider may throw; the node maps them onto the wire error catalogue. */
export const CommandErrorCode = {
  /** The params are wrong; the message starts with what is wrong. */
  INVALID_REQUEST: 'INVALID_REQUEST',
  /** The node's local exec policy refused the command. */
  EXEC_DENIED: 'EXEC_DENIED',
  /** The command is not supported here, or its backend is missing. */
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
export type CommandErrorCode = (typeof CommandErrorCode)[keyof typeof CommandErrorCode];

export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

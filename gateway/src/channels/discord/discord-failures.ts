/**
 * What Discord's refusals mean for the channel: which login errors are final (a rejected token, a
 * refused intent) and how each is reported, naming the config key or the Developer Portal switch to fix.
 * Error text is built from the message, HTTP status and Discord code only, never the request URL.
 */
import type * as DiscordJsModule from 'discord.js';

type DiscordJs = typeof DiscordJsModule;

export const TOKEN_KEY = 'channels.discord.token';

export function fatalLoginReason(d: DiscordJs, err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : '';
  if (code === d.DiscordjsErrorCodes.TokenInvalid || httpStatus(err) === 401 || message === 'Authentication failed') {
    return `Discord rejected the bot token (${message === 'Authentication failed' ? 'gateway close 4004' : '401 Unauthorized'}): check ${TOKEN_KEY}`;
  }
  if (message === 'Used disallowed intents') return closeReason(4014);
  if (message === 'Used invalid intents' || message === 'Used an invalid API version' || message === 'Invalid shard' || message === 'Sharding is required') return `the gateway refused the connection: ${message}`;
  return undefined;
}

export function closeReason(code: number): string {
  switch (code) {
    case 4004:
      return `Discord rejected the bot token (gateway close 4004): check ${TOKEN_KEY}`;
    case 4014:
      return 'Discord refused the Message Content intent (gateway close 4014): enable "Message Content Intent" under Bot → Privileged Gateway Intents in the Developer Portal';
    default:
      return `the gateway closed the connection for good (close ${code})`;
  }
}

export function httpStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const status = httpStatus(err);
  const code = (err as { code?: unknown }).code;
  const extra = [status !== undefined ? `HTTP ${status}` : '', typeof code === 'number' && code !== 0 ? `code ${code}` : ''].filter(Boolean).join(', ');
  return `${err.message.split('\n').join('; ')}${extra ? ` (${extra})` : ''}`;
}

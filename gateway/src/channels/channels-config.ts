/**
 * `channels.*` in tether.json, in OpenClaw's shape so people can carry theirs over:
 *   channels: { telegram: { botToken: "${TELEGRAM_BOT_TOKEN}", apiRoot?, dmPolicy?, allowFrom?, groupAllowFrom?, owners? } }
 * A `${NAME}` token is read from the environment at start, so the secret need not sit in the file; a
 * missing variable is a config error naming it. The token itself never appears in an error or a log.
 */
import { z } from 'zod';
import { checkAccessConfig, type ChannelAccessConfig, type DmPolicy } from './access-policy.js';

const Ids = z.array(z.string().min(1).max(128)).max(1_000);

export const TelegramFileSchema = z
  .object({
    botToken: z.string().min(1),
    apiRoot: z.string().url().refine((url) => !url.endsWith('/'), 'must not end with "/"').optional(),
    dmPolicy: z.enum(['pairing', 'allowlist', 'open', 'disabled']).optional(),
    allowFrom: Ids.optional(),
    groupAllowFrom: Ids.optional(),
    /** Senders who may use /status, /new, /stop (and later answer exec approvals). */
    owners: Ids.optional(),
  })
  .strict();

export const ChannelsFileSchema = z.object({ telegram: TelegramFileSchema.optional() }).strict();
export type ChannelsFileConfig = z.infer<typeof ChannelsFileSchema>;

export interface TelegramConfig extends ChannelAccessConfig {
  botToken: string;
  apiRoot?: string;
  owners: string[];
}

export interface ChannelsConfig {
  telegram?: TelegramConfig;
}

export class ChannelsConfigError extends Error {}

/** `${NAME}` → the variable's value; anything else as written. */
function secret(value: string, key: string, env: NodeJS.ProcessEnv): string {
  const match = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value.trim());
  if (!match) return value;
  const resolved = env[match[1]!];
  if (!resolved) throw new ChannelsConfigError(`${key} is "\${${match[1]}}" but the environment variable ${match[1]} is not set`);
  return resolved;
}

export function resolveChannelsConfig(file: ChannelsFileConfig | undefined, env: NodeJS.ProcessEnv): ChannelsConfig {
  const telegram = file?.telegram;
  if (!telegram) return {};
  const normalise = (ids: readonly string[] | undefined) => (ids ?? []).map((id) => id.replace(/^(tg|telegram):/i, ''));
  const resolved: TelegramConfig = {
    botToken: secret(telegram.botToken, 'channels.telegram.botToken', env),
    ...(telegram.apiRoot ? { apiRoot: telegram.apiRoot } : {}),
    dmPolicy: (telegram.dmPolicy ?? 'pairing') as DmPolicy,
    allowFrom: normalise(telegram.allowFrom),
    groupAllowFrom: normalise(telegram.groupAllowFrom),
    owners: normalise(telegram.owners),
  };
  const problem = checkAccessConfig('telegram', resolved);
  if (problem) throw new ChannelsConfigError(problem);
  return { telegram: resolved };
}

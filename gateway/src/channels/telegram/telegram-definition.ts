/**
 * `channels.telegram: {botToken, apiRoot?, webhook?, dmPolicy, allowFrom, groupAllowFrom, owners, approvers}`.
 * Without `webhook` the bot long-polls (no open port). With it, Telegram posts to `webhook.url` (a
 * public HTTPS URL whose proxy forwards to the gateway's POST /channels/telegram/webhook) with
 * `webhook.secretToken` in a header the gateway checks.
 */
import { z } from 'zod';
import { ACCESS_KEYS, ApiUrl, ChannelsConfigError, requiredChannelSecret, resolveAccess, secretValue, type ChannelDefinition, type ResolvedChannelConfig } from '../channel-definition.js';
import { readCredential } from '../credentials.js';

export interface TelegramConfig extends ResolvedChannelConfig {
  botToken: string;
  apiRoot?: string;
  webhook?: { url: string; secretToken: string };
}

/** Telegram's own rule for secret_token. */
const WEBHOOK_SECRET = /^[A-Za-z0-9_-]{16,256}$/;

export const telegramDefinition: ChannelDefinition<TelegramConfig> = {
  name: 'telegram',
  /** Absent here, the token (and the webhook secret) are the ones `tether channels login telegram` stored. */
  fileSchema: z
    .object({
      botToken: z.string().min(1).optional(),
      apiRoot: ApiUrl.optional(),
      webhook: z.object({ url: z.string().url().startsWith('https://', 'Telegram posts only to https:// URLs'), secretToken: z.string().min(1).optional() }).strict().optional(),
      ...ACCESS_KEYS,
    })
    .strict(),
  secretKeys: [
    { key: 'botToken', prompt: 'Telegram bot token (from @BotFather, like 123456789:AA…): ' },
    { key: 'webhookSecret', prompt: 'Webhook secret token (16–256 of A-Z a-z 0-9 _ -; Enter for none, if you long-poll): ', optional: true },
  ],
  resolve(file, env, stateDir) {
    const sources = { env, ...(stateDir ? { stateDir } : {}) };
    const webhookFile = file.webhook as { url: string; secretToken?: string } | undefined;
    let webhook: TelegramConfig['webhook'];
    if (webhookFile) {
      const secretToken = webhookFile.secretToken
        ? secretValue(webhookFile.secretToken, 'channels.telegram.webhook.secretToken', env)
        : stateDir
          ? readCredential(stateDir, 'telegram', 'webhookSecret')
          : undefined;
      if (!secretToken || !WEBHOOK_SECRET.test(secretToken)) {
        throw new ChannelsConfigError(
          'channels.telegram.webhook needs a secretToken of 16–256 characters from A-Z a-z 0-9 _ - (so nobody else can post updates to the gateway): set webhook.secretToken ("${NAME}" works) or store one with `tether channels login telegram`',
        );
      }
      webhook = { url: webhookFile.url, secretToken };
    }
    return {
      ...resolveAccess('telegram', file, (id) => id.replace(/^(tg|telegram):/i, '')),
      botToken: requiredChannelSecret('telegram', file, 'botToken', sources),
      ...(file.apiRoot ? { apiRoot: file.apiRoot as string } : {}),
      ...(webhook ? { webhook } : {}),
    };
  },
  async create(config, { log }) {
    const { createTelegramChannel } = await import('./telegram-channel.js');
    return createTelegramChannel({ botToken: config.botToken, ...(config.apiRoot ? { apiRoot: config.apiRoot } : {}), ...(config.webhook ? { webhook: config.webhook } : {}), log });
  },
};

/** `channels.telegram: {botToken, apiRoot?, dmPolicy, allowFrom, groupAllowFrom, owners, approvers}`. */
import { z } from 'zod';
import { ACCESS_KEYS, ApiUrl, requiredChannelSecret, resolveAccess, type ChannelDefinition, type ResolvedChannelConfig } from '../channel-definition.js';

export interface TelegramConfig extends ResolvedChannelConfig {
  botToken: string;
  apiRoot?: string;
}

export const telegramDefinition: ChannelDefinition<TelegramConfig> = {
  name: 'telegram',
  /** Absent here, the token is the one `tether channels login telegram` stored. */
  fileSchema: z.object({ botToken: z.string().min(1).optional(), apiRoot: ApiUrl.optional(), ...ACCESS_KEYS }).strict(),
  secretKeys: [{ key: 'botToken', prompt: 'Telegram bot token (from @BotFather, like 123456789:AA…): ' }],
  resolve(file, env, stateDir) {
    return {
      ...resolveAccess('telegram', file, (id) => id.replace(/^(tg|telegram):/i, '')),
      botToken: requiredChannelSecret('telegram', file, 'botToken', { env, ...(stateDir ? { stateDir } : {}) }),
      ...(file.apiRoot ? { apiRoot: file.apiRoot as string } : {}),
    };
  },
  async create(config, { log }) {
    const { createTelegramChannel } = await import('./telegram-channel.js');
    return createTelegramChannel({ botToken: config.botToken, ...(config.apiRoot ? { apiRoot: config.apiRoot } : {}), log });
  },
};

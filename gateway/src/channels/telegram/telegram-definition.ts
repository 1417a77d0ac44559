/** `channels.telegram: {botToken, apiRoot?, dmPolicy, allowFrom, groupAllowFrom, owners, approvers}`. */
import { z } from 'zod';
import { ACCESS_KEYS, ApiUrl, resolveAccess, secretValue, type ChannelDefinition, type ResolvedChannelConfig } from '../channel-definition.js';

export interface TelegramConfig extends ResolvedChannelConfig {
  botToken: string;
  apiRoot?: string;
}

export const telegramDefinition: ChannelDefinition<TelegramConfig> = {
  name: 'telegram',
  fileSchema: z.object({ botToken: z.string().min(1), apiRoot: ApiUrl.optional(), ...ACCESS_KEYS }).strict(),
  resolve(file, env) {
    return {
      ...resolveAccess('telegram', file, (id) => id.replace(/^(tg|telegram):/i, '')),
      botToken: secretValue(file.botToken as string, 'channels.telegram.botToken', env),
      ...(file.apiRoot ? { apiRoot: file.apiRoot as string } : {}),
    };
  },
  async create(config, { log }) {
    const { createTelegramChannel } = await import('./telegram-channel.js');
    return createTelegramChannel({ botToken: config.botToken, ...(config.apiRoot ? { apiRoot: config.apiRoot } : {}), log });
  },
};

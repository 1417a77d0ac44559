/**
 * `channels.discord: {token, apiBase?, dmPolicy, allowFrom, groupAllowFrom, owners, approvers}`.
 * Ids are Discord user snowflakes (a `discord:` or `user:` prefix is accepted and dropped); anything
 * else is refused here, because a username in allowFrom would silently match nobody.
 */
import { z } from 'zod';
import { ACCESS_KEYS, ApiUrl, ChannelsConfigError, requiredChannelSecret, resolveAccess, type ChannelDefinition, type ResolvedChannelConfig } from '../channel-definition.js';

export interface DiscordConfig extends ResolvedChannelConfig {
  token: string;
  apiBase?: string;
}

export const DEFAULT_DISCORD_API = 'https://discord.com/api';
const SNOWFLAKE = /^\d{15,21}$/;

/** A user id from the config: `discord:123…` / `user:123…` / `123…` → `123…`; anything else throws. */
export function normaliseDiscordId(id: string): string {
  const bare = id.trim().replace(/^(discord|user):/i, '');
  if (!SNOWFLAKE.test(bare)) {
    throw new ChannelsConfigError(
      `channels.discord: "${id.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}" is not a Discord user id: use the numeric id (Developer Mode → right-click the user → Copy User ID), not a name`,
    );
  }
  return bare;
}

export const discordDefinition: ChannelDefinition<DiscordConfig> = {
  name: 'discord',
  /** Absent here, the token is the one `tether channels login discord` stored. */
  fileSchema: z.object({ token: z.string().min(1).optional(), apiBase: ApiUrl.optional(), ...ACCESS_KEYS }).strict(),
  secretKeys: [{ key: 'token', prompt: 'Discord bot token (Developer Portal → your app → Bot → Reset Token): ' }],
  resolve(file, env, stateDir) {
    return {
      ...resolveAccess('discord', file, normaliseDiscordId),
      token: requiredChannelSecret('discord', file, 'token', { env, ...(stateDir ? { stateDir } : {}) }),
      ...(file.apiBase ? { apiBase: file.apiBase as string } : {}),
    };
  },
  async create(config, { log }) {
    const { createDiscordChannel } = await import('./discord-channel.js');
    return createDiscordChannel({ token: config.token, ...(config.apiBase ? { apiBase: config.apiBase } : {}), log });
  },
};

/**
 * `channels.*` in tether.json, in OpenClaw's shape so people can carry theirs over, e.g.
 *   channels: { telegram: { botToken: "${TELEGRAM_BOT_TOKEN}", apiRoot?, dmPolicy?, allowFrom?, groupAllowFrom?, owners?, approvers? } }
 * Each channel's keys are its definition's (registry.ts). A `${NAME}` token is read from the environment
 * at start, so the secret need not sit in the file; a missing variable is a config error naming it.
 * A token itself never appears in an error or a log.
 */
import { z } from 'zod';
import { ChannelsConfigError, type ResolvedChannelConfig } from './channel-definition.js';
import { CHANNEL_DEFINITIONS } from './registry.js';

export { ChannelsConfigError };

export const ChannelsFileSchema = z.object(Object.fromEntries(CHANNEL_DEFINITIONS.map((definition) => [definition.name, definition.fileSchema.optional()]))).strict();
export type ChannelsFileConfig = Record<string, Record<string, unknown> | undefined>;

/** Resolved configs by channel name; only configured channels are present. */
export type ChannelsConfig = Record<string, ResolvedChannelConfig>;

/** The known keys per config path, for "did you mean" suggestions. */
export function channelConfigKeys(): Record<string, string[]> {
  const keys: Record<string, string[]> = { channels: CHANNEL_DEFINITIONS.map((definition) => definition.name) };
  for (const definition of CHANNEL_DEFINITIONS) keys[`channels.${definition.name}`] = Object.keys(definition.fileSchema.shape);
  return keys;
}

export function resolveChannelsConfig(file: ChannelsFileConfig | undefined, env: NodeJS.ProcessEnv, stateDir?: string): ChannelsConfig {
  const resolved: ChannelsConfig = {};
  for (const definition of CHANNEL_DEFINITIONS) {
    const section = file?.[definition.name];
    if (section) resolved[definition.name] = definition.resolve(section, env, stateDir);
  }
  return resolved;
}

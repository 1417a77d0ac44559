/**
 * `channels.slack: { botToken, appToken?, signingSecret?, mode?, apiUrl?, http?, dmPolicy, allowFrom,
 * groupAllowFrom, owners, approvers }`. Socket Mode (the default) needs the app-level `xapp-` token;
 * the HTTP Events API needs the signing secret. Ids are Slack member ids (`U…`, `W…`), written with or
 * without a `slack:` prefix. Bolt is imported only in create(), through slack-channel.ts.
 */
import { z } from 'zod';
import { ACCESS_KEYS, channelSecret, encryptedOrLocal, ChannelsConfigError, requiredChannelSecret, resolveAccess, type ChannelDefinition, type ResolvedChannelConfig } from '../channel-definition.js';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';
export const DEFAULT_SLACK_HTTP_PATH = '/slack/events';
const MEMBER_ID = /^[UW][A-Z0-9]{2,30}$/;

export interface SlackConfig extends ResolvedChannelConfig {
  botToken: string;
  appToken?: string;
  signingSecret?: string;
  mode: 'socket' | 'http';
  /** The Web API base, ending in "/". */
  apiUrl: string;
  http: { port: number; path: string; host: string };
}

const HttpUrl = encryptedOrLocal('https:');

export const slackDefinition: ChannelDefinition<SlackConfig> = {
  name: 'slack',
  fileSchema: z
    .object({
      /** Absent here, the secrets are the ones `tether channels login slack` stored. */
      botToken: z.string().min(1).optional(),
      appToken: z.string().min(1).optional(),
      signingSecret: z.string().min(1).optional(),
      mode: z.enum(['socket', 'http']).optional(),
      apiUrl: HttpUrl.optional(),
      http: z
        .object({
          port: z.number().int().min(0).max(65_535),
          path: z.string().regex(/^\/[\x21-\x7e]{0,200}$/, 'must start with "/"').optional(),
          host: z.string().min(1).max(255).optional(),
        })
        .strict()
        .optional(),
      ...ACCESS_KEYS,
    })
    .strict(),
  secretKeys: [
    { key: 'botToken', prompt: 'Slack bot token (xoxb-…, OAuth & Permissions → Bot User OAuth Token): ' },
    { key: 'appToken', prompt: 'Slack app-level token for Socket Mode (xapp-…; Enter for none if you use mode "http"): ', optional: true },
    { key: 'signingSecret', prompt: 'Slack signing secret for mode "http" (Basic Information; Enter for none with Socket Mode): ', optional: true },
  ],
  resolve(file, env, stateDir) {
    const sources = { env, ...(stateDir ? { stateDir } : {}) };
    for (const key of ['allowFrom', 'groupAllowFrom', 'owners', 'approvers'] as const) {
      for (const id of (file[key] as string[] | undefined) ?? []) {
        if (id !== '*' && !MEMBER_ID.test(normaliseSlackId(id))) {
          throw new ChannelsConfigError(`channels.slack.${key}: "${id.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}" is not a Slack member id (U… or W…; in Slack: the person's profile → ⋮ → Copy member ID)`);
        }
      }
    }
    const mode = (file.mode as 'socket' | 'http' | undefined) ?? 'socket';
    const botToken = requiredChannelSecret('slack', file, 'botToken', sources);
    if (!botToken.startsWith('xoxb-')) {
      throw new ChannelsConfigError(
        botToken.startsWith('xapp-')
          ? 'channels.slack.botToken is an app-level token (xapp-…): the bot token starts with xoxb- (OAuth & Permissions → Bot User OAuth Token); the xapp- token goes in channels.slack.appToken'
          : 'channels.slack.botToken must be a bot token starting with xoxb- (OAuth & Permissions → Bot User OAuth Token)',
      );
    }
    const appToken = channelSecret('slack', file, 'appToken', sources);
    const signingSecret = channelSecret('slack', file, 'signingSecret', sources);
    if (mode === 'socket') {
      if (!appToken) throw new ChannelsConfigError('channels.slack.appToken is required for Socket Mode (mode "socket", the default): an app-level token starting with xapp- with the connections:write scope (Basic Information → App-Level Tokens); or set mode: "http" with a signingSecret');
      if (!appToken.startsWith('xapp-')) throw new ChannelsConfigError('channels.slack.appToken must be an app-level token starting with xapp- (Basic Information → App-Level Tokens)');
    } else if (!signingSecret) {
      throw new ChannelsConfigError('channels.slack.signingSecret is required for mode "http": the Signing Secret from the app\'s Basic Information page');
    }
    const http = file.http as { port: number; path?: string; host?: string } | undefined;
    if (mode === 'http' && !http) throw new ChannelsConfigError('channels.slack.http is required for mode "http": { port, path? } where Slack\'s Request URL is forwarded to');
    const apiUrl = (file.apiUrl as string | undefined) ?? DEFAULT_SLACK_API_URL;
    return {
      ...resolveAccess('slack', file, normaliseSlackId),
      botToken,
      ...(appToken ? { appToken } : {}),
      ...(signingSecret ? { signingSecret } : {}),
      mode,
      apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
      http: { port: http?.port ?? 3000, path: http?.path ?? DEFAULT_SLACK_HTTP_PATH, host: http?.host ?? '127.0.0.1' },
    };
  },
  async create(config, { log }) {
    const { createSlackChannel } = await import('./slack-channel.js');
    return createSlackChannel({
      botToken: config.botToken,
      ...(config.appToken ? { appToken: config.appToken } : {}),
      ...(config.signingSecret ? { signingSecret: config.signingSecret } : {}),
      mode: config.mode,
      apiUrl: config.apiUrl,
      http: config.http,
      log,
    });
  },
};

/** `slack:U123` and `u123` → `U123`. */
export function normaliseSlackId(id: string): string {
  return id.trim().replace(/^slack:/i, '').toUpperCase();
}

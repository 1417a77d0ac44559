/**
 * How a channel plugs in: its config keys (a zod schema in OpenClaw's shape), how they resolve (secrets
 * from `${ENV}`, ids normalised, access checked), and how the channel is made. `create` is the only
 * place a channel's SDK may be imported (dynamically), so an unconfigured channel costs nothing.
 * Adding a channel is one folder plus one line in registry.ts.
 */
import { EnvSubstitutionError, substituteEnvString } from '../config/env-substitution.js';
import { isLoopbackUrlHost } from '@tether/protocol';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { checkAccessConfig, type ChannelAccessConfig, type DmPolicy } from './access-policy.js';
import type { Channel } from './channel.js';
import { readCredential } from './credentials.js';

import { ChannelsConfigError } from './channels-config-error.js';

export { ChannelsConfigError };

/** What every channel's resolved config has besides its own keys. */
export interface ResolvedChannelConfig extends ChannelAccessConfig {
  /** Senders who may use /status, /new, /stop. */
  owners: string[];
  /** Senders who are asked, and may answer, exec approvals in this chat app. */
  approvers: string[];
}

export interface ChannelDeps {
  log: Logger;
  stateDir: string;
}

export interface ChannelSecretKey {
  key: string;
  /** What the person is asked for, e.g. "Telegram bot token (from @BotFather)". */
  prompt: string;
  optional?: boolean;
}

export interface ChannelLoginContext {
  stateDir: string;
  /** `channels.<name>` as written in tether.json, if there is one (secrets unresolved). */
  file: Record<string, unknown> | undefined;
  log: Logger;
  /** Shows a QR code for the person to scan (the CLI renders it in the terminal); progress lines go to `log`. */
  showQr(payload: string): Promise<void>;
}

/** Where secrets are looked up: the environment for `${NAME}`, the state dir for stored ones. */
export interface SecretSources {
  env: NodeJS.ProcessEnv;
  stateDir?: string;
}

export interface ChannelDefinition<Resolved extends ResolvedChannelConfig = ResolvedChannelConfig> {
  readonly name: string;
  /** The keys under `channels.<name>`, strict (unknown keys are config errors with a suggestion). */
  readonly fileSchema: z.ZodObject<z.ZodRawShape>;
  /** Secret keys `tether channels login <name>` can store in the state dir instead of the config. */
  readonly secretKeys: readonly ChannelSecretKey[];
  /** A login that is not pasting secrets (WhatsApp links a device by QR); replaces the prompts. */
  login?(context: ChannelLoginContext): Promise<string>;
  /** Forgets what login stored beyond the secret keys (WhatsApp's linked-device keys). */
  logout?(context: ChannelLoginContext): Promise<string[]>;
  resolve(file: Record<string, unknown>, env: NodeJS.ProcessEnv, stateDir?: string): Resolved;
  create(config: Resolved, deps: ChannelDeps): Promise<Channel>;
}

const Ids = z.array(z.string().min(1).max(128)).max(1_000);

/** The access keys every channel has, in OpenClaw's names. */
export const ACCESS_KEYS = {
  dmPolicy: z.enum(['pairing', 'allowlist', 'open', 'disabled']).optional(),
  allowFrom: Ids.optional(),
  groupAllowFrom: Ids.optional(),
  owners: Ids.optional(),
  approvers: Ids.optional(),
};

/**
 * A platform endpoint the bot's secrets travel to: encrypted (`https://`, `wss://`), or plain only to
 * this machine (a local Bot API server, a test fake), never in the clear across a network.
 */
export function encryptedOrLocal(secure: 'https:' | 'wss:') {
  const plain = secure === 'https:' ? 'http:' : 'ws:';
  return z
    .string()
    .url()
    .refine((url) => {
      const parsed = new URL(url);
      return parsed.protocol === secure || (parsed.protocol === plain && isLoopbackUrlHost(parsed.hostname));
    }, `must be ${secure}// (plain ${plain}// only to this machine: 127.0.0.1, localhost or ::1), as the bot's credentials travel in it`);
}

export const ApiUrl = encryptedOrLocal('https:').refine((url) => !url.endsWith('/'), 'must not end with "/"');

/** `${NAME}` → the variable's value; anything else as written. The value never appears in an error. */
export function secretValue(value: string, key: string, env: NodeJS.ProcessEnv): string {
  // The one `${NAME}` rule of tether.json (config/env-substitution.ts). The gateway's loader has
  // already substituted the file, so this only acts for callers that pass a raw section.
  try {
    return substituteEnvString(value, key, env);
  } catch (error) {
    if (error instanceof EnvSubstitutionError) throw new ChannelsConfigError(error.message);
    throw error;
  }
}

/**
 * A secret key of `channels.<channel>`: from the config (`${NAME}` read from the environment), else
 * stored by `tether channels login <channel>`; undefined when neither has it.
 */
export function channelSecret(channel: string, file: Record<string, unknown>, key: string, sources: SecretSources): string | undefined {
  const value = file[key];
  if (typeof value === 'string' && value !== '') return secretValue(value, `channels.${channel}.${key}`, sources.env);
  return sources.stateDir ? readCredential(sources.stateDir, channel, key) : undefined;
}

/** channelSecret, required: its absence is a config error with both ways to give it. */
export function requiredChannelSecret(channel: string, file: Record<string, unknown>, key: string, sources: SecretSources): string {
  const value = channelSecret(channel, file, key, sources);
  if (value === undefined) {
    throw new ChannelsConfigError(`channels.${channel}.${key} is not set: put it in tether.json (\${NAME} reads an environment variable) or store it with \`tether channels login ${channel}\``);
  }
  return value;
}

/** The access keys resolved with the channel's id normaliser, and checked (an open door is an error). */
export function resolveAccess(channel: string, file: Record<string, unknown>, normaliseId: (id: string) => string): ResolvedChannelConfig {
  const ids = (value: unknown) => ((value as string[] | undefined) ?? []).map((id) => (id === '*' ? id : normaliseId(id)));
  const resolved: ResolvedChannelConfig = {
    dmPolicy: ((file.dmPolicy as DmPolicy | undefined) ?? 'pairing'),
    allowFrom: ids(file.allowFrom),
    groupAllowFrom: ids(file.groupAllowFrom),
    owners: ids(file.owners),
    approvers: ids(file.approvers),
  };
  const problem = checkAccessConfig(channel, resolved);
  if (problem) throw new ChannelsConfigError(problem);
  return resolved;
}

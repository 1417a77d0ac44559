/**
 * `channels.whatsapp: {authDir?, wsUrl?, dmPolicy, allowFrom, groupAllowFrom, owners, approvers}`.
 * Ids may be E.164 numbers (+4915112345678), phone JIDs or LIDs; each becomes its JID
 * (whatsapp-ids.ts). There is no secret in the config: the link lives in the auth folder.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ACCESS_KEYS, resolveAccess, type ChannelDefinition, type ResolvedChannelConfig } from '../channel-definition.js';
import { normaliseWhatsAppId } from './whatsapp-ids.js';

export interface WhatsAppConfig extends ResolvedChannelConfig {
  /** Where the linked device's credentials live; default <stateDir>/channels/whatsapp/auth. */
  authDir?: string;
  /** WhatsApp Web's socket URL (tests, proxies); default Baileys' wss://web.whatsapp.com/ws/chat. */
  wsUrl?: string;
}

const WsUrl = z
  .string()
  .url()
  .refine((url) => /^wss?:\/\//i.test(url), 'must be a ws:// or wss:// URL');
const AuthDir = z
  .string()
  .min(1)
  .max(4096)
  .refine((dir) => isAbsolute(dir) || dir.startsWith('~/'), 'must be an absolute path (or start with ~/)');

export const whatsappDefinition: ChannelDefinition<WhatsAppConfig> = {
  name: 'whatsapp',
  fileSchema: z.object({ authDir: AuthDir.optional(), wsUrl: WsUrl.optional(), ...ACCESS_KEYS }).strict(),
  resolve(file, env) {
    const authDir = file.authDir as string | undefined;
    const home = env.HOME ?? '';
    return {
      ...resolveAccess('whatsapp', file, (id) => normaliseWhatsAppId(id)),
      ...(authDir ? { authDir: authDir.startsWith('~/') && home ? `${home}${authDir.slice(1)}` : authDir } : {}),
      ...(file.wsUrl ? { wsUrl: file.wsUrl as string } : {}),
    };
  },
  async create(config, { log, stateDir }) {
    const { createWhatsAppChannel, defaultWhatsAppAuthDir } = await import('./whatsapp-channel.js');
    return createWhatsAppChannel({ authDir: config.authDir ?? defaultWhatsAppAuthDir(stateDir), ...(config.wsUrl ? { wsUrl: config.wsUrl } : {}), log });
  },
};

/**
 * `channels.whatsapp: {authDir?, wsUrl?, dmPolicy, allowFrom, groupAllowFrom, owners, approvers}`.
 * Ids may be E.164 numbers (+4915112345678), phone JIDs or LIDs; each becomes its JID
 * (whatsapp-ids.ts). There is no secret in the config: the link lives in the auth folder.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { safeLabel } from '@tether/protocol';
import { ACCESS_KEYS, encryptedOrLocal, resolveAccess, type ChannelDefinition, type ResolvedChannelConfig } from '../channel-definition.js';
import { normaliseWhatsAppId } from './whatsapp-ids.js';

export interface WhatsAppConfig extends ResolvedChannelConfig {
  /** Where the linked device's credentials live; default <stateDir>/channels/whatsapp/auth. */
  authDir?: string;
  /** WhatsApp Web's socket URL (tests, proxies); default Baileys' wss://web.whatsapp.com/ws/chat. */
  wsUrl?: string;
}

const WsUrl = encryptedOrLocal('wss:');
const AuthDir = z
  .string()
  .min(1)
  .max(4096)
  .refine((dir) => isAbsolute(dir) || dir.startsWith('~/'), 'must be an absolute path (or start with ~/)');

export const whatsappDefinition: ChannelDefinition<WhatsAppConfig> = {
  name: 'whatsapp',
  fileSchema: z.object({ authDir: AuthDir.optional(), wsUrl: WsUrl.optional(), ...ACCESS_KEYS }).strict(),
  // No secret to paste: login links the gateway as a device by QR, and the keys live in authDir.
  secretKeys: [],
  resolve(file, env) {
    const authDir = expandAuthDir(file.authDir as string | undefined, env);
    return {
      ...resolveAccess('whatsapp', file, (id) => normaliseWhatsAppId(id)),
      ...(authDir ? { authDir } : {}),
      ...(file.wsUrl ? { wsUrl: file.wsUrl as string } : {}),
    };
  },
  async login({ stateDir, file, log, showQr }) {
    const [{ loginWhatsApp }, { defaultWhatsAppAuthDir }] = await Promise.all([import('./whatsapp-login.js'), import('./whatsapp-channel.js')]);
    const authDir = expandAuthDir(file?.authDir as string | undefined, process.env) ?? defaultWhatsAppAuthDir(stateDir);
    log.info('Open WhatsApp on your phone → Settings → Linked devices → Link a device, and scan the code.');
    const linked = await loginWhatsApp({ authDir, printQr: showQr, log, ...(typeof file?.wsUrl === 'string' ? { wsUrl: file.wsUrl } : {}) });
    return `${linked.newLogin ? 'Linked' : 'Already linked'}: WhatsApp account ${safeLabel(linked.id, 64)}${linked.lid ? ` (${safeLabel(linked.lid, 64)})` : ''}; the keys are in ${authDir} (readable only by you).`;
  },
  async logout({ stateDir, file }) {
    const [{ logoutWhatsApp }, { defaultWhatsAppAuthDir }] = await Promise.all([import('./whatsapp-login.js'), import('./whatsapp-channel.js')]);
    const authDir = expandAuthDir(file?.authDir as string | undefined, process.env) ?? defaultWhatsAppAuthDir(stateDir);
    const { removed } = await logoutWhatsApp({ authDir });
    return removed ? [authDir] : [];
  },
  async create(config, { log, stateDir }) {
    const { createWhatsAppChannel, defaultWhatsAppAuthDir } = await import('./whatsapp-channel.js');
    return createWhatsAppChannel({ authDir: config.authDir ?? defaultWhatsAppAuthDir(stateDir), ...(config.wsUrl ? { wsUrl: config.wsUrl } : {}), log });
  },
};

/** `~/x` → `$HOME/x`; absolute paths as written. */
function expandAuthDir(authDir: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (!authDir) return undefined;
  const home = env.HOME ?? '';
  return authDir.startsWith('~/') && home ? `${home}${authDir.slice(1)}` : authDir;
}

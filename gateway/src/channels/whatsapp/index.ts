/**
 * What the CLI needs from the WhatsApp channel: linking (`tether channels login whatsapp`), unlinking,
 * and where the link lives. Importing this does not load Baileys; login does, when it connects.
 */
import type { ResolvedChannelConfig } from '../channel-definition.js';
import { defaultWhatsAppAuthDir } from './whatsapp-channel.js';
import type { WhatsAppConfig } from './whatsapp-definition.js';

export { defaultWhatsAppAuthDir };
export { loginWhatsApp, logoutWhatsApp, WhatsAppLoginError, type LoginWhatsAppOptions, type LoginWhatsAppResult } from './whatsapp-login.js';
export { readLinkedAccount } from './whatsapp-socket.js';
export type { WhatsAppConfig };

/** The auth folder the gateway will use: `channels.whatsapp.authDir`, else <stateDir>/channels/whatsapp/auth. */
export function whatsappAuthDir(channels: Record<string, ResolvedChannelConfig | undefined> | undefined, stateDir: string): string {
  return (channels?.whatsapp as WhatsAppConfig | undefined)?.authDir ?? defaultWhatsAppAuthDir(stateDir);
}

/**
 * What the CLI needs from the WhatsApp channel: linking (`tether channels login whatsapp`), unlinking,
 * and where the link lives. Importing this does not load Baileys; login does, when it connects.
 */
export { defaultWhatsAppAuthDir } from './whatsapp-channel.js';
export { loginWhatsApp, logoutWhatsApp, WhatsAppLoginError, type LoginWhatsAppOptions, type LoginWhatsAppResult } from './whatsapp-login.js';
export { readLinkedAccount } from './whatsapp-socket.js';

/** Every channel the gateway knows. A channel's SDK loads only when its key is in the config. */
import type { ChannelDefinition } from './channel-definition.js';
import { telegramDefinition } from './telegram/telegram-definition.js';
import { whatsappDefinition } from './whatsapp/whatsapp-definition.js';

export const CHANNEL_DEFINITIONS: readonly ChannelDefinition[] = [telegramDefinition as unknown as ChannelDefinition, whatsappDefinition as unknown as ChannelDefinition];

/** Every channel the gateway knows. A channel's SDK loads only when its key is in the config. */
import type { ChannelDefinition } from './channel-definition.js';
import { discordDefinition } from './discord/discord-definition.js';
import { slackDefinition } from './slack/slack-definition.js';
import { telegramDefinition } from './telegram/telegram-definition.js';
import { whatsappDefinition } from './whatsapp/whatsapp-definition.js';

/** Each definition's own config type is narrower than the registry's; the registry only passes them through. */
const anyChannel = (definition: unknown) => definition as ChannelDefinition;

export const CHANNEL_DEFINITIONS: readonly ChannelDefinition[] = [anyChannel(telegramDefinition), anyChannel(slackDefinition), anyChannel(discordDefinition), anyChannel(whatsappDefinition)];

/**
 * The configured chat channels, started with the gateway and stopped before it: each channel's SDK is
 * imported only when that channel is configured, so a gateway without channels starts as before. A
 * channel never takes the gateway down: its failures show in its status.
 */
import type { AgentService } from '../agent/service-types.js';
import type { ChannelsConfig } from './channels-config.js';
import type { Channel, ChannelStatus } from './channel.js';
import { ChannelConversations } from './conversation.js';
import type { ChannelPairing } from './pairing-codes.js';
import type { Logger } from '../log.js';

export interface RunningChannels {
  list(): ({ name: string } & ChannelStatus)[];
  close(): Promise<void>;
}

export async function startChannels(options: {
  config: ChannelsConfig;
  agent: AgentService;
  pairing: ChannelPairing;
  log: Logger;
  statusText: () => string;
  resetSession: (sessionKey: string) => Promise<unknown>;
}): Promise<RunningChannels> {
  const running: { channel: Channel; conversations: ChannelConversations }[] = [];
  const telegram = options.config.telegram;
  if (telegram) {
    const { createTelegramChannel } = await import('./telegram/telegram-channel.js');
    const channel = createTelegramChannel({ botToken: telegram.botToken, ...(telegram.apiRoot ? { apiRoot: telegram.apiRoot } : {}), log: options.log });
    const conversations = new ChannelConversations({
      channel,
      access: telegram,
      pairing: options.pairing,
      agent: options.agent,
      owners: telegram.owners,
      log: options.log,
      statusText: options.statusText,
      resetSession: async (key) => void (await options.resetSession(key)),
    });
    await channel.start((message) => conversations.handle(message));
    running.push({ channel, conversations });
  }
  return {
    list: () => running.map(({ channel }) => ({ name: channel.name, ...channel.status() })),
    close: async () => {
      await Promise.allSettled(running.map(({ channel }) => channel.stop()));
    },
  };
}

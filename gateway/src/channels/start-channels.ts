/**
 * The configured chat channels, started with the gateway and stopped before it: each channel's SDK is
 * imported only when that channel is configured (registry.ts), so a gateway without channels starts as
 * before. A channel never takes the gateway down: its failures show in its status.
 */
import { safeLabel, type ChannelState } from '@tether/protocol';
import type { AgentService } from '../agent/service-types.js';
import type { Logger } from '../log.js';
import type { ChannelsConfig } from './channels-config.js';
import type { Channel } from './channel.js';
import { DeafWatchdog } from './deaf-watchdog.js';
import { ChatApprovals, type ApprovalSource } from './chat-approvals.js';
import { ChannelConversations } from './conversation.js';
import type { ChannelPairing } from './pairing-codes.js';
import { CHANNEL_DEFINITIONS } from './registry.js';

export interface RunningChannels {
  list(): ChannelState[];
  /** The running channel of that name, if it takes webhook deliveries. */
  webhook(name: string): Channel['handleWebhook'];
  close(): Promise<void>;
}

export async function startChannels(options: {
  config: ChannelsConfig;
  agent: AgentService;
  pairing: ChannelPairing;
  approvals: ApprovalSource;
  log: Logger;
  stateDir: string;
  statusText: () => string;
  resetSession: (sessionKey: string) => Promise<unknown>;
}): Promise<RunningChannels> {
  const running: { channel: Channel; conversations: ChannelConversations }[] = [];
  const configured = CHANNEL_DEFINITIONS.filter((definition) => options.config[definition.name]);
  const approvals = configured.length > 0 ? new ChatApprovals(options.approvals, options.log) : undefined;
  for (const definition of configured) {
    const config = options.config[definition.name]!;
    let channel: Channel;
    try {
      channel = await definition.create(config, { log: options.log, stateDir: options.stateDir });
    } catch (error) {
      options.log.error(`channel ${definition.name}: could not be loaded: ${safeLabel(error instanceof Error ? error.message : String(error), 300)}`);
      continue;
    }
    approvals?.attach(channel, config.approvers);
    const conversations = new ChannelConversations({
      channel,
      access: config,
      pairing: options.pairing,
      agent: options.agent,
      owners: config.owners,
      log: options.log,
      statusText: options.statusText,
      resetSession: async (key) => void (await options.resetSession(key)),
      ...(approvals ? { approvals } : {}),
    });
    await channel.start({ onMessage: (message) => conversations.handle(message), onAction: (action) => conversations.handleAction(action) });
    running.push({ channel, conversations });
  }
  const watchdog = new DeafWatchdog(running.map(({ channel }) => channel), { log: options.log });
  watchdog.start();
  return {
    list: () =>
      running.map(({ channel }) => {
        const restarts = watchdog.restartsOf(channel);
        return { name: channel.name, ...channel.status(), ...(restarts > 0 ? { deafRestarts: restarts } : {}) };
      }),
    webhook: (name) => {
      const channel = running.find((entry) => entry.channel.name === name)?.channel;
      return channel?.handleWebhook?.bind(channel);
    },
    close: async () => {
      watchdog.stop();
      approvals?.close();
      await Promise.allSettled(running.map(({ channel }) => channel.stop()));
    },
  };
}

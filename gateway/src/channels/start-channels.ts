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

/**
 * Returns at once: each channel loads its SDK and connects in the background (a platform that does
 * not answer must not hold the gateway's start), showing `starting` until it is up, or `failed` with
 * the reason when its SDK cannot be loaded.
 */
export function startChannels(options: {
  config: ChannelsConfig;
  agent: AgentService;
  pairing: ChannelPairing;
  approvals: ApprovalSource;
  log: Logger;
  stateDir: string;
  statusText: () => string;
  resetSession: (sessionKey: string) => Promise<unknown>;
}): RunningChannels {
  const configured = CHANNEL_DEFINITIONS.filter((definition) => options.config[definition.name]);
  const slots = configured.map((definition) => ({ name: definition.name, channel: undefined as Channel | undefined, failure: undefined as string | undefined }));
  const approvals = configured.length > 0 ? new ChatApprovals(options.approvals, options.log) : undefined;
  const watchdog = new DeafWatchdog([], { log: options.log });
  watchdog.start();
  let closing = false;
  const startup = Promise.allSettled(
    configured.map(async (definition, index) => {
      const slot = slots[index]!;
      const config = options.config[definition.name]!;
      let channel: Channel;
      try {
        channel = await definition.create(config, { log: options.log, stateDir: options.stateDir });
      } catch (error) {
        slot.failure = `could not be loaded: ${safeLabel(error instanceof Error ? error.message : String(error), 300)}`;
        options.log.error(`channel ${definition.name}: ${slot.failure}`);
        return;
      }
      if (closing) return;
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
      slot.channel = channel;
      await channel.start({ onMessage: (message) => conversations.handle(message), onAction: (action) => conversations.handleAction(action) });
      watchdog.watch(channel);
    }),
  );
  return {
    list: () =>
      slots.map((slot) => {
        if (!slot.channel) return slot.failure ? { name: slot.name, state: 'failed' as const, reason: slot.failure } : { name: slot.name, state: 'starting' as const };
        const restarts = watchdog.restartsOf(slot.channel);
        return { name: slot.name, ...slot.channel.status(), ...(restarts > 0 ? { deafRestarts: restarts } : {}) };
      }),
    webhook: (name) => {
      const channel = slots.find((slot) => slot.name === name)?.channel;
      return channel?.handleWebhook?.bind(channel);
    },
    close: async () => {
      closing = true;
      watchdog.stop();
      approvals?.close();
      // A channel still connecting is stopped too; a platform that does not answer holds shutdown a few seconds at most.
      const atMost = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
      await Promise.race([startup, atMost(3_000)]);
      await Promise.race([Promise.allSettled(slots.map((slot) => slot.channel?.stop())), atMost(5_000)]);
    },
  };
}

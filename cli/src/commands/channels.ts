/** `tether channels …`: the chat channels' state, and strangers waiting for the owner's approval. */
import { Command } from 'commander';
import type { ChannelPendingSender } from '@tether/protocol';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway } from '../gateway-target.js';
import { ago, printJson, printLines, printTable } from '../output.js';

interface ChannelState {
  name: string;
  state: string;
  reason?: string;
  lastMessageAtMs?: number;
}

export function channelsCommand(): Command {
  const channels = new Command('channels').description('chat channels (Telegram, …) that reach the agent');

  withConnectionOptions(channels.command('status').description('each configured channel and its state')).action(
    action(async (flags) => {
      const result = await withGateway(flags, ['operator.read'], (client) => client.request<{ channels: ChannelState[] }>('channels.status', {}));
      if (flags.json) return printJson(result);
      if (result.channels.length === 0) return printLines(['No chat channel is configured (channels.telegram in tether.json).']);
      printTable(
        ['CHANNEL', 'STATE', 'LAST MESSAGE', 'REASON'],
        result.channels.map((c) => [c.name, c.state, ago(c.lastMessageAtMs), c.reason ?? '']),
      );
    }),
  );

  const pairing = channels.command('pairing').description('strangers who asked to talk to the agent (dmPolicy "pairing")');
  withConnectionOptions(pairing.command('list').description('the codes waiting for approval')).action(
    action(async (flags) => {
      const result = await withGateway(flags, ['operator.pairing'], (client) => client.request<{ pending: ChannelPendingSender[] }>('channels.pairing.list', {}));
      if (flags.json) return printJson(result);
      if (result.pending.length === 0) return printLines(['No one is waiting.']);
      printTable(
        ['CODE', 'CHANNEL', 'SENDER', 'NAME', 'ASKED'],
        result.pending.map((p) => [p.code, p.channel, p.senderId, p.senderName ?? '', ago(p.createdAtMs)]),
      );
    }),
  );
  withConnectionOptions(pairing.command('approve <code>').description('let the sender who got this code talk to the agent')).action(
    action(async (flags, code: string) => {
      const result = await withGateway(flags, ['operator.pairing'], (client) => client.request<{ approved: ChannelPendingSender }>('channels.pairing.approve', { code }));
      if (flags.json) return printJson(result);
      printLines([`Approved ${result.approved.senderName ?? result.approved.senderId} (${result.approved.senderId}) on ${result.approved.channel}: their messages now reach the agent.`]);
    }),
  );
  return channels;
}

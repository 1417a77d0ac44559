/** `tether channels …`: the chat channels' state, and strangers waiting for the owner's approval. */
import { Command } from 'commander';
import QRCode from 'qrcode';
import { safeLabel, safeText, type ChannelPendingSender, type ChannelState } from '@tether/protocol';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway } from '../gateway-target.js';
import { ago, printJson, printLines, printRenderedArt, printTable, usageError } from '../output.js';
import { readSecrets } from '../secret-input.js';

/** One line for `gateway status` and `health`: each channel's state, its reason, its last message. */
export function describeChannels(channels: readonly ChannelState[] | undefined): string {
  if (channels === undefined) return 'not reported by this gateway';
  if (channels.length === 0) return 'none configured';
  return channels
    .map((c) => {
      const last = c.lastMessageAtMs !== undefined ? `, last message ${ago(c.lastMessageAtMs)}` : '';
      const deaf = c.deafRestarts ? `, restarted ${c.deafRestarts}× after going deaf` : '';
      return `${safeLabel(c.name, 32)} ${c.state}${c.reason ? ` (${safeLabel(c.reason, 200)})` : ''}${last}${deaf}`;
    })
    .join('; ');
}

const consoleLog = {
  debug: () => {},
  info: (message: string) => process.stderr.write(`${safeText(message)}\n`),
  warn: (message: string) => process.stderr.write(`${safeText(message)}\n`),
  error: (message: string) => process.stderr.write(`${safeText(message)}\n`),
};

/** The channel's definition and what its login/logout hooks get: the state dir and its tether.json section. */
async function channelContext(name: string, stateDirFlag: string | undefined) {
  const gateway = await import('@tether/gateway');
  const definition = gateway.CHANNEL_DEFINITIONS.find((candidate) => candidate.name === name.toLowerCase());
  if (!definition) throw usageError(`unknown channel "${name}": one of ${gateway.CHANNEL_DEFINITIONS.map((d) => d.name).join(', ')}`);
  const stateDir = gateway.resolveStateDir(stateDirFlag);
  const file = (gateway.readConfigFile(stateDir).channels as Record<string, Record<string, unknown>> | undefined)?.[definition.name];
  const showQr = async (payload: string) => printRenderedArt(await QRCode.toString(payload, { type: 'terminal', small: true }));
  return { gateway, definition, context: { stateDir, file, log: consoleLog, showQr } };
}

function nextSteps(name: string, file: Record<string, unknown> | undefined): string[] {
  return file
    ? ['Restart the gateway (tether up) to connect with it.']
    : [`tether.json has no channels.${name} yet: add one (at least {} — see docs/channels.md) and restart the gateway.`];
}

export function channelsCommand(): Command {
  const channels = new Command('channels').description('chat channels (Telegram, Slack, Discord, WhatsApp) that reach the agent');

  withConnectionOptions(channels.command('status').description('each configured channel and its state')).action(
    action(async (flags) => {
      const result = await withGateway(flags, ['operator.read'], (client) => client.request<{ channels: ChannelState[] }>('channels.status', {}));
      if (flags.json) return printJson(result);
      if (result.channels.length === 0) return printLines(['No chat channel is configured (channels.telegram, .slack, .discord or .whatsapp in tether.json; see `tether channels list`).']);
      printTable(
        ['CHANNEL', 'STATE', 'LAST MESSAGE', 'LAST HEARD', 'REASON'],
        result.channels.map((c) => [c.name, c.state, ago(c.lastMessageAtMs), ago(c.lastActivityAtMs), `${c.reason ?? ''}${c.deafRestarts ? ` (restarted ${c.deafRestarts}× after going deaf)` : ''}`]),
      );
    }),
  );

  channels
    .command('list')
    .description('the chat channels this gateway knows, and which are configured (read from tether.json; no gateway needed)')
    .option('--json', 'print machine-readable JSON')
    .option('--state-dir <dir>', 'gateway state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .action(
      action(async (flags: { json?: boolean; stateDir?: string }) => {
        const { CHANNEL_DEFINITIONS, readConfigFile, resolveStateDir } = await import('@tether/gateway');
        const file = readConfigFile(resolveStateDir(flags.stateDir));
        const sections = (file.channels ?? {}) as Record<string, Record<string, unknown> | undefined>;
        // Only what is safe to show: never a token, only how many ids each list holds.
        const rows = CHANNEL_DEFINITIONS.map(({ name }) => {
          const section = sections[name];
          const count = (key: string) => (Array.isArray(section?.[key]) ? (section[key] as unknown[]).length : 0);
          return section
            ? { name, configured: true, dmPolicy: (section.dmPolicy as string | undefined) ?? 'pairing', allowFrom: count('allowFrom'), owners: count('owners'), approvers: count('approvers') }
            : { name, configured: false };
        });
        if (flags.json) return printJson({ channels: rows });
        printTable(
          ['CHANNEL', 'CONFIGURED', 'DM POLICY', 'ALLOWED', 'OWNERS', 'APPROVERS'],
          rows.map((r) => (r.configured ? [r.name, 'yes', r.dmPolicy!, String(r.allowFrom), String(r.owners), String(r.approvers)] : [r.name, 'no', '', '', '', ''])),
        );
        printLines(['', 'Set one up under "channels" in tether.json (docs/channels.md); `tether channels status` shows the running state.']);
      }),
    );

  channels
    .command('login <channel>')
    .description('store a channel\'s secrets in the state dir (0600) instead of tether.json, or link WhatsApp by QR')
    .option('--state-dir <dir>', 'gateway state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .action(
      action(async (flags, name: string) => {
        const { gateway, definition, context } = await channelContext(name, flags.stateDir as string | undefined);
        const { stateDir, file } = context;
        if (definition.login) {
          const done = await definition.login(context);
          return printLines([done, ...nextSteps(definition.name, file)]);
        }
        const keys = definition.secretKeys;
        const answers = await readSecrets(keys.map((k) => k.prompt));
        const stored: string[] = [];
        for (const [index, key] of keys.entries()) {
          const value = answers[index] ?? '';
          if (value === '') {
            if (key.optional) continue;
            throw usageError(`no ${key.key} given for ${definition.name}: paste it when asked, or pipe one secret per line (${keys.map((k) => k.key).join(', ')})`);
          }
          await gateway.writeCredential(stateDir, definition.name, key.key, value);
          stored.push(key.key);
        }
        printLines([`Stored ${stored.join(', ')} for ${definition.name} in ${stateDir}/channels/credentials (readable only by you).`, ...nextSteps(definition.name, file)]);
      }),
    );
  channels
    .command('logout <channel>')
    .description('forget the secrets `channels login` stored for a channel (and WhatsApp\'s linked-device keys)')
    .option('--state-dir <dir>', 'gateway state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .action(
      action(async (flags, name: string) => {
        const { gateway, definition, context } = await channelContext(name, flags.stateDir as string | undefined);
        const { stateDir, file } = context;
        const removed = gateway.removeCredentials(stateDir, definition.name, definition.secretKeys.map((k) => k.key));
        if (definition.logout) removed.push(...(await definition.logout(context)));
        if (removed.length === 0) return printLines([`Nothing stored for ${definition.name}.${file && definition.secretKeys.some((k) => typeof file[k.key] === 'string') ? ' Its secrets are in tether.json: remove them there (and revoke the token on the platform if it leaked).' : ''}`]);
        printLines([`Removed for ${definition.name}: ${removed.join(', ')}. Restart the gateway (tether up) for it to take effect.`]);
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

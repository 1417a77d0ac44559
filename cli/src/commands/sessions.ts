/** `tether sessions …`: the embedded agent's sessions — list them, show one's transcript, reset one. */
import { Command } from 'commander';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway } from '../gateway-target.js';
import { printJson, printLines, usageError } from '../output.js';
import { historyView, resetView, sessionsListView, type ChatHistoryResult, type SessionsListResult, type SessionsResetResult } from '../views/sessions-view.js';

function parseLimit(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw usageError(`--limit takes a whole number from 1 to 1000, got "${String(value)}"`);
  return n;
}

export function sessionsCommand(): Command {
  const sessions = new Command('sessions').description("the agent's sessions: list, show a transcript, reset");

  withConnectionOptions(sessions.command('list').description('sessions, most recently updated first')).action(
    action(async (flags) => {
      const result = await withGateway(flags, ['operator.read'], (client) => client.request<SessionsListResult>('sessions.list', {}));
      if (flags.json) return printJson(result);
      printLines(sessionsListView(result));
    }),
  );

  withConnectionOptions(
    sessions
      .command('show <key>')
      .description("a session's transcript")
      .option('--limit <n>', 'the last N messages (gateway default 200, at most 1000)'),
  ).action(
    action(async (flags, key: string) => {
      const limit = parseLimit(flags.limit);
      const params: Record<string, unknown> = { sessionKey: key };
      if (limit !== undefined) params.limit = limit;
      const result = await withGateway(flags, ['operator.read'], (client) => client.request<ChatHistoryResult>('chat.history', params));
      if (flags.json) return printJson(result);
      printLines(historyView(result));
    }),
  );

  withConnectionOptions(sessions.command('reset <key>').description('start a session over (a new session id and an empty transcript)')).action(
    action(async (flags, key: string) => {
      const result = await withGateway(flags, ['operator.read', 'operator.write'], (client) =>
        client.request<SessionsResetResult>('sessions.reset', { key }),
      );
      if (flags.json) return printJson(result);
      printLines(resetView(result, key));
    }),
  );
  return sessions;
}

/**
 * `tether logs [--follow] [--level <lvl>] [--subsystem <name>] [--json] [--lines N]`: the gateway's
 * log over its socket (logs.tail, operator.admin). People get lines like the gateway's stderr, with the
 * time and subsystem in front; `--json` prints the records as the file holds them, one per line.
 */
import { Command } from 'commander';
import { LOG_TAIL_MAX_LINES, type LogRecordShape, type LogsLineEvent, type LogsTailResult } from '@tether/protocol';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway } from '../gateway-target.js';
import { CliError, printLines, printNote, usageError } from '../output.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** One record as a person reads it: `2026-12-04T22:01:02.345Z [channels] warn: message key=value`. */
export function formatRecord(record: LogRecordShape): string {
  let fields = '';
  for (const [key, value] of Object.entries(record)) {
    if (key === 'ts' || key === 'level' || key === 'subsystem' || key === 'msg') continue;
    fields += ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
  }
  return `${record.ts} [${record.subsystem}] ${record.level === 'info' ? '' : `${record.level}: `}${record.msg}${fields}`;
}

/** JSON Lines: characters a terminal would act on are `\uXXXX` escapes, so the line stays valid JSON and printLines leaves it as is. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
export function jsonLine(record: LogRecordShape): string {
  return JSON.stringify(record).replace(JSON_UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The message is another party's text at times: printLines escapes it like every other line the CLI prints. */
function printRecord(record: LogRecordShape, json: boolean): void {
  printLines([json ? jsonLine(record) : formatRecord(record)]);
}

export function parseLogsFlags(flags: Record<string, unknown>): { lines: number; level?: Level; subsystem?: string; follow: boolean } {
  const lines = Number(flags.lines);
  if (!Number.isInteger(lines) || lines < 1 || lines > LOG_TAIL_MAX_LINES) throw usageError(`--lines must be a whole number from 1 to ${LOG_TAIL_MAX_LINES}`);
  const level = flags.level === undefined ? undefined : String(flags.level).toLowerCase();
  if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) throw usageError(`--level must be one of ${LEVELS.join(', ')}`);
  const subsystem = flags.subsystem === undefined ? undefined : String(flags.subsystem);
  if (subsystem !== undefined && !/^[a-z][a-z0-9/-]{0,127}$/.test(subsystem)) throw usageError('--subsystem must be a subsystem name such as gateway, agent, channels, discovery, mcp or approvals');
  return { lines, ...(level ? { level: level as Level } : {}), ...(subsystem ? { subsystem } : {}), follow: flags.follow === true };
}

export function logsCommand(): Command {
  return withConnectionOptions(
    new Command('logs')
      .description("the gateway's log (from <stateDir>/logs/gateway.log, over the socket; needs operator.admin)")
      .option('-f, --follow', 'keep printing new lines until Ctrl+C')
      .option('--level <level>', 'only lines at this level or above: debug, info, warn, error')
      .option('--subsystem <name>', 'only this subsystem (gateway, agent, approvals, channels, discovery, mcp)')
      .option('-n, --lines <n>', `how many recent lines (1-${LOG_TAIL_MAX_LINES})`, '100'),
  ).action(
    action(async (flags) => {
      const params = parseLogsFlags(flags);
      const json = flags.json === true;
      let ended: ((error?: Error) => void) | undefined;
      return withGateway(
        flags,
        ['operator.admin'],
        async (client) => {
          const result = await client.request<LogsTailResult>('logs.tail', params);
          for (const record of result.records) printRecord(record, json);
          if (result.truncated && !json) printNote('older lines may exist beyond what was searched');
          if (!params.follow) return;
          await new Promise<void>((resolve, reject) => {
            const onSigint = () => ended?.();
            process.once('SIGINT', onSigint);
            ended = (error) => {
              process.off('SIGINT', onSigint);
              ended = undefined;
              if (error) reject(error);
              else resolve();
            };
          });
        },
        {
          onEvent: (event, payload) => {
            if (event !== 'logs.line') return;
            const line = payload as LogsLineEvent;
            if (line.record) printRecord(line.record, json);
            else if (line.dropped) printNote(`${line.dropped} line(s) skipped: this terminal read slower than the gateway logged`);
          },
          onDisconnect: () => ended?.(new CliError('the gateway closed the connection; run tether logs --follow again once it is back')),
        },
      );
    }),
  );
}

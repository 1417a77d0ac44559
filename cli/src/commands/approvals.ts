/** `tether approvals …`: answer nodes that ask before running a command (exec policy ask=on-miss|always). */
import { Command } from 'commander';
import type { ExecApproval, ExecApprovalDecision, ExecApprovalListResult, ExecApprovalResolveResult, GatewayClient } from '@tether/protocol';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway, type ConnectionFlags } from '../gateway-target.js';
import { CliError, printJson, printTable } from '../output.js';

async function listApprovals(client: GatewayClient): Promise<ExecApproval[]> {
  return (await client.request<ExecApprovalListResult>('exec.approval.list', {})).approvals;
}

/** Accepts a full approval id or a unique prefix of one. */
export function resolveApprovalId(pending: readonly ExecApproval[], value: string): string {
  const exact = pending.find((approval) => approval.id === value);
  if (exact) return exact.id;
  const matches = pending.filter((approval) => approval.id.startsWith(value));
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1) throw new CliError(`approval id "${value}" is ambiguous: ${matches.map((m) => m.id).join(', ')}`);
  return value; // The gateway answers APPROVAL_NOT_FOUND with its own hint.
}

/** argv as one pasteable shell line, so spaces and quotes in arguments stay visible. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function expiresIn(expiresAtMs: number, now = Date.now()): string {
  const s = Math.max(0, Math.ceil((expiresAtMs - now) / 1000));
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

function nodeLabel(approval: ExecApproval): string {
  return approval.displayName ?? approval.nodeId.slice(0, 12);
}

function printApprovals(approvals: ExecApproval[]): void {
  if (approvals.length === 0) {
    process.stdout.write('No exec approvals waiting.\n');
    return;
  }
  printTable(
    ['ID', 'NODE', 'COMMAND', 'CWD', 'EXPIRES IN'],
    approvals.map((a) => [a.id.slice(0, 8), nodeLabel(a), formatArgv(a.argv), a.cwd ?? '-', expiresIn(a.expiresAtMs)]),
  );
  process.stdout.write('\nAllow with: tether approvals approve <id> [--always]   Refuse with: tether approvals deny <id>\n');
}

async function resolveApproval(flags: ConnectionFlags, value: string, decision: ExecApprovalDecision): Promise<ExecApprovalResolveResult> {
  return withGateway(flags, ['operator.approvals'], async (client) => {
    const id = resolveApprovalId(await listApprovals(client), value);
    return client.request<ExecApprovalResolveResult>('exec.approval.resolve', { id, decision });
  });
}

function describeResult(result: ExecApprovalResolveResult): string {
  const what = `${formatArgv(result.argv)} on ${nodeLabel(result)} (approval ${result.id})`;
  if (result.decision === 'deny') return `Denied ${what}\n`;
  if (result.decision === 'allow-once') return `Allowed once: ${what}\n`;
  return `Allowed always: ${what}\n${result.resolvedPath} is now on ${nodeLabel(result)}'s exec allowlist (it runs without asking from now on unless the node's policy is ask=always).\n`;
}

export function approvalsCommand(): Command {
  const approvals = new Command('approvals').description("answer nodes that ask before running a command (their exec policy's ask setting)");

  withConnectionOptions(approvals.command('list').description('commands waiting for an answer')).action(
    action(async (flags) => {
      const pending = await withGateway(flags, ['operator.approvals'], listApprovals);
      if (flags.json) printJson({ approvals: pending });
      else printApprovals(pending);
    }),
  );

  withConnectionOptions(
    approvals
      .command('approve <id>')
      .description('let this one command run (id or unique prefix)')
      .option('--always', "also add the program to the node's exec allowlist, so it runs without asking next time (unless the node asks always)"),
  ).action(
    action(async (flags, id: string) => {
      const result = await resolveApproval(flags, id, flags.always ? 'allow-always' : 'allow-once');
      if (flags.json) printJson(result);
      else process.stdout.write(describeResult(result));
    }),
  );

  withConnectionOptions(approvals.command('deny <id>').description('refuse this command (id or unique prefix)')).action(
    action(async (flags, id: string) => {
      const result = await resolveApproval(flags, id, 'deny');
      if (flags.json) printJson(result);
      else process.stdout.write(describeResult(result));
    }),
  );
  return approvals;
}

/** `tether approvals …`: answer nodes that ask before running a command (exec policy ask=on-miss|always). */
import { Command } from 'commander';
import type { ExecApproval, ExecApprovalDecision, ExecApprovalListResult, ExecApprovalResolveResult, GatewayClient } from '@tether/protocol';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway, type ConnectionFlags } from '../gateway-target.js';
import { CliError, printJson, printLines } from '../output.js';
import { approvalsListView, resolvedView } from '../views/approvals-view.js';
import { addApprovalsHistory } from './approvals-history.js';

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

async function resolveApproval(flags: ConnectionFlags, value: string, decision: ExecApprovalDecision): Promise<ExecApprovalResolveResult> {
  return withGateway(flags, ['operator.approvals'], async (client) => {
    const id = resolveApprovalId(await listApprovals(client), value);
    return client.request<ExecApprovalResolveResult>('exec.approval.resolve', { id, decision });
  });
}

export function approvalsCommand(): Command {
  const approvals = new Command('approvals').description("answer nodes that ask before running a command (their exec policy's ask setting)");

  withConnectionOptions(approvals.command('list').description('commands waiting for an answer')).action(
    action(async (flags) => {
      const pending = await withGateway(flags, ['operator.approvals'], listApprovals);
      if (flags.json) printJson({ approvals: pending });
      else printLines(approvalsListView(pending));
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
      else printLines(resolvedView(result));
    }),
  );

  withConnectionOptions(approvals.command('deny <id>').description('refuse this command (id or unique prefix)')).action(
    action(async (flags, id: string) => {
      const result = await resolveApproval(flags, id, 'deny');
      if (flags.json) printJson(result);
      else printLines(resolvedView(result));
    }),
  );
  addApprovalsHistory(approvals);
  return approvals;
}

/**
 * `tether doctor`: the gateway side's health in one look (state dir modes, config, lock, port, the
 * running gateway, clock skew, TLS expiry, disk, channels, the model endpoint). Each problem says its
 * fix; `--fix` applies the safe ones. Exit 1 while a problem remains.
 */
import { Command } from 'commander';
import { action } from '../command-kit.js';
import { EXIT_FAILED, EXIT_OK, printJson, printLines } from '../output.js';
import { parseTimeout } from '../gateway-target.js';

const MARK: Record<string, string> = { ok: 'ok     ', warn: 'warn   ', problem: 'PROBLEM', skipped: 'skipped' };

export function doctorCommand(): Command {
  return new Command('doctor')
    .description("check the gateway's state dir, config, port, clock, certificate, disk, channels and model endpoint")
    .option('--fix', 'apply the safe fixes: file modes (0700 dirs, 0600 files) and a dead gateway\'s lock')
    .option('--json', 'print machine-readable JSON')
    .option('--state-dir <dir>', 'gateway state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .option('--timeout <ms>', 'deadline for each network probe, in milliseconds (default 3000)')
    .action(
      action(async (flags) => {
        const { audit, resolveStateDir } = await import('@tether/gateway');
        const stateDir = resolveStateDir(typeof flags.stateDir === 'string' ? flags.stateDir : undefined);
        const result = await audit.runDoctor({ stateDir, fix: flags.fix === true, timeoutMs: parseTimeout(flags.timeout as string | undefined, 3_000) });
        if (flags.json) {
          printJson(result);
        } else {
          const lines = [`tether doctor: ${stateDir}`];
          for (const line of result.fixed) lines.push(`fixed    ${line}`);
          for (const check of result.checks) {
            lines.push(`${MARK[check.status] ?? check.status}  ${check.id}: ${check.message}`);
            if (check.fix && check.status !== 'ok') lines.push(`         fix: ${check.fix}`);
          }
          const problems = result.checks.filter((c) => c.status === 'problem').length;
          lines.push('', problems === 0 ? 'no problems found' : `${problems} problem${problems === 1 ? '' : 's'} found${result.checks.some((c) => c.status === 'problem' && c.fixable) ? '; run tether doctor --fix for the safe fixes' : ''}`);
          printLines(lines);
        }
        return result.ok ? EXIT_OK : EXIT_FAILED;
      }),
    );
}

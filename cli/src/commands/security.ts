/**
 * `tether security audit [--deep]`: findings (info / warn / critical, a stable id, the fix) from the
 * config, the pairing store and the state dir's file modes; `--deep` also probes the running gateway
 * as an outsider would. Exit 1 on any critical finding.
 */
import { Command } from 'commander';
import { action } from '../command-kit.js';
import { EXIT_FAILED, EXIT_OK, printJson, printLines, usageError } from '../output.js';
import { parseTimeout, resolveTarget, resolveTargetTls } from '../gateway-target.js';

function parseDays(value: unknown): number {
  if (value === undefined) return 90;
  const days = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || days < 1 || days > 36_500) throw usageError(`--token-max-age takes a number of days from 1 to 36500, got "${String(value)}"`);
  return days;
}

export function securityCommand(): Command {
  const security = new Command('security').description('security checks of this gateway');
  security
    .command('audit')
    .description('report risky settings, devices, tokens and file modes; --deep probes the running gateway')
    .option('--deep', 'also probe the running gateway: malformed HTTP, a foreign Origin, a tokenless pairing attempt')
    .option('--json', 'print machine-readable JSON')
    .option('--state-dir <dir>', 'gateway state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .option('--url <url>', 'with --deep: the gateway to probe (default: the local gateway)')
    .option('--token <token>', 'with --deep: the owner token, used only to reject the probe\'s pairing request afterwards')
    .option('--timeout <ms>', 'deadline for each probe, in milliseconds (default 5000)')
    .option('--trust-fingerprint <sha256>', "pin a remote wss:// gateway's TLS certificate")
    .option('--insecure', 'allow plaintext ws:// to an address beyond loopback')
    .option('--token-max-age <days>', 'report device tokens not rotated for this many days (default 90)')
    .action(
      action(async (flags) => {
        const { audit, resolveStateDir, readSharedToken } = await import('@tether/gateway');
        const stateDir = resolveStateDir(typeof flags.stateDir === 'string' ? flags.stateDir : undefined);
        const findings = audit.securityAudit(stateDir, process.env, { tokenMaxAgeDays: parseDays(flags.tokenMaxAge) });
        if (flags.deep) {
          const target = resolveTarget(flags);
          const tlsPin = await resolveTargetTls(flags, target);
          const ownerToken = target.token;
          const secrets = [ownerToken, readSharedToken(stateDir)].filter((s): s is string => typeof s === 'string');
          findings.push(...(await audit.deepProbes({ url: target.url, ownerToken, tlsPin, timeoutMs: parseTimeout(flags.timeout as string | undefined, 5_000), secrets })));
        }
        const sorted = audit.sortFindings(findings);
        const critical = audit.hasCritical(sorted);
        const counts = { critical: 0, warn: 0, info: 0 };
        for (const f of sorted) counts[f.severity]++;
        if (flags.json) {
          printJson({ stateDir, deep: flags.deep === true, ok: !critical, counts, findings: sorted });
        } else {
          const lines = [`tether security audit: ${stateDir}${flags.deep ? ' (deep)' : ''}`];
          for (const f of sorted) {
            lines.push(`${f.severity.toUpperCase().padEnd(8)} ${f.id}: ${f.message}`);
            if (f.severity !== 'info') lines.push(`         fix: ${f.fix}`);
          }
          lines.push('', `${counts.critical} critical, ${counts.warn} warn, ${counts.info} info`);
          printLines(lines);
        }
        return critical ? EXIT_FAILED : EXIT_OK;
      }),
    );
  return security;
}

/**
 * `tether gateway install|uninstall` (+ `tether gateway status --service`) and
 * `tether node install|uninstall|status`: the service files of cli/src/service, as commands.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Command } from 'commander';
import { safeText } from '@tether/protocol';
import { action } from '../command-kit.js';
import { CliError, EXIT_FAILED, EXIT_OK, printJson, printLines, usageError } from '../output.js';
import { defaultContext, installService, serviceStatus, uninstallService, ServiceError, type InstallResult, type ServiceContext, type StatusResult } from '../service/manager.js';
import { planService, serviceLocation, type ServiceEnvironment, type ServiceFlags } from '../service/plan.js';
import { ServiceValueError } from '../service/quote.js';
import type { ServiceRole } from '../service/units.js';
import { parsePortFlag } from './service-flags.js';

const KIND_LABEL = { 'systemd-user': 'systemd user unit', 'systemd-system': 'systemd system unit', launchd: 'launchd agent' } as const;

function groupsOnThisMachine(): string[] {
  try {
    return readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((line) => line.split(':')[0] ?? '')
      .filter(Boolean);
  } catch {
    return [];
  }
}

async function systemdVersion(context: ServiceContext): Promise<number | undefined> {
  const result = await context.run('systemctl', ['--version']);
  const match = /^systemd (\d+)/.exec(result.stdout);
  return match ? Number(match[1]) : undefined;
}

/**
 * Each role's default state dir, given by the command that registers it: the node's commands must not
 * import the gateway (the tether-node package carries no gateway code; scripts/pack.mjs checks).
 */
const defaultStateDirs = new Map<ServiceRole, () => Promise<string>>();

async function machine(context: ServiceContext, role: ServiceRole): Promise<ServiceEnvironment> {
  const resolve = defaultStateDirs.get(role);
  if (!resolve) throw new CliError(`no default state dir is known for the ${role} service; pass --state-dir`);
  const stateDir = await resolve();
  const entry = process.argv[1];
  if (!entry) throw new CliError('cannot tell where the tether CLI is installed (process.argv[1] is empty)');
  const version = process.platform === 'linux' ? await systemdVersion(context) : undefined;
  return {
    platform: process.platform,
    env: process.env,
    home: homedir(),
    nodePath: realpathSync(process.execPath),
    entryPath: realpathSync(entry),
    deviceGroups: groupsOnThisMachine(),
    ...(version !== undefined ? { systemdVersion: version } : {}),
    defaultStateDir: () => stateDir,
  };
}

function rethrow(error: unknown): never {
  if (error instanceof ServiceValueError) throw usageError(error.message);
  if (error instanceof ServiceError) throw new CliError(error.message, error.code === 'SERVICE_BAD_VALUE' ? 2 : EXIT_FAILED, error.code);
  throw error;
}

function serviceFlags(flags: Record<string, unknown>): ServiceFlags {
  const str = (key: string) => (typeof flags[key] === 'string' ? (flags[key] as string) : undefined);
  const port = parsePortFlag(flags.port);
  return {
    ...(flags.system === true ? { system: true } : {}),
    ...(str('stateDir') !== undefined ? { stateDir: str('stateDir')! } : {}),
    ...(str('unitDir') !== undefined ? { unitDir: str('unitDir')! } : {}),
    ...(str('url') !== undefined ? { url: str('url')! } : {}),
    ...(str('displayName') !== undefined ? { displayName: str('displayName')! } : {}),
    ...(str('host') !== undefined ? { host: str('host')! } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(flags.insecure === true ? { insecure: true } : {}),
  };
}

function printInstall(result: InstallResult, role: ServiceRole, extra: string[]): void {
  const lines = [...extra, `Wrote ${result.path} (${KIND_LABEL[result.kind]}, ${result.file}); state dir ${result.stateDir}`];
  if (result.started) lines.push(`Started and enabled at boot: ${result.name}`);
  else lines.push(`NOT started: ${result.notStarted ?? 'unknown reason'}.`);
  if (result.todo.length > 0) lines.push('Run these to finish:', ...result.todo.map((command) => `  ${command}`));
  lines.push(...result.hints);
  lines.push(`Status: ${result.statusCommand}   (or: tether ${role} status${role === 'gateway' ? ' --service' : ''}${result.kind === 'systemd-system' ? ' --system' : ''})`, `Logs:   ${result.logsCommand}`);
  printLines(lines);
}

async function runInstall(role: ServiceRole, flags: Record<string, unknown>): Promise<number> {
  const context = defaultContext();
  const env = await machine(context, role);
  const base = serviceFlags(flags);
  const extra: string[] = [];
  let paired: { url: string; deviceId: string; paired: boolean } | undefined;
  try {
    if (role === 'node' && (flags.pair !== undefined || flags.pairFile !== undefined || base.url !== undefined)) {
      // Plan first with a placeholder URL: a bad path or flag is refused before any pairing happens.
      const stateDir = planService(role, { ...base, url: base.url ?? 'ws://127.0.0.1:1' }, env).spec.stateDir;
      const { prepareNode, PairOnceError } = await import('../service/node-pair.js');
      try {
        paired = await prepareNode({
          ...(typeof flags.pair === 'string' ? { pair: flags.pair } : {}),
          ...(typeof flags.pairFile === 'string' ? { pairFile: flags.pairFile } : {}),
          ...(base.url !== undefined ? { url: base.url } : {}),
          stateDir,
          ...(base.displayName !== undefined ? { displayName: base.displayName } : {}),
          ...(typeof flags.trustFingerprint === 'string' ? { trustFingerprint: flags.trustFingerprint } : {}),
          insecure: base.insecure === true,
          timeoutMs: parsePairTimeout(flags.pairTimeout),
          // Lines carry the gateway's words (request ids, errors): each made terminal-safe, as `node run` does.
          say: (line) => {
            for (const part of line.split('\n')) process.stderr.write(`[node] ${safeText(part)}\n`);
          },
        });
      } catch (error) {
        if (error instanceof PairOnceError) throw error.usage ? usageError(error.message) : new CliError(error.message, EXIT_FAILED, 'SERVICE_PAIR_FAILED');
        throw error;
      }
      if (paired.paired) extra.push(`Paired with ${paired.url} as ${paired.deviceId.slice(0, 12)}…`);
      else extra.push(`Not paired yet: when the service first connects, approve it on the gateway host (tether devices list, then tether devices approve <requestId>); the request id is in the service's log.`);
    }
    const plan = planService(role, { ...base, ...(paired ? { url: paired.url } : {}) }, env);
    if (paired && plan.kind === 'systemd-system' && context.uid === 0) {
      // Pairing ran as root; the service runs as its own account and must own what pairing wrote.
      const user = plan.spec.user ?? 'tether';
      const exists = await context.run('id', ['-u', user]);
      if (exists.ok) await context.run('chown', ['-R', `${user}:${user}`, plan.spec.stateDir]);
    }
    const result = await installService(plan, context, { noStart: flags.start === false });
    const out = paired ? { ...result, pairedWith: paired.url, deviceId: paired.deviceId, paired: paired.paired } : result;
    if (flags.json) printJson(out);
    else printInstall(result, role, extra);
    return result.started || flags.start === false ? EXIT_OK : EXIT_FAILED;
  } catch (error) {
    return rethrow(error);
  }
}

function parsePairTimeout(value: unknown): number {
  if (value === undefined) return 120_000;
  const match = /^(\d+)(ms|s|m)?$/.exec(String(value));
  if (!match) throw usageError(`--pair-timeout takes a duration such as 2m, 30s or 30000, got "${String(value)}"`);
  const unit = match[2] ?? 'ms';
  return Number(match[1]) * (unit === 'm' ? 60_000 : unit === 's' ? 1000 : 1);
}

async function runUninstall(role: ServiceRole, flags: Record<string, unknown>): Promise<number> {
  const context = defaultContext();
  try {
    const where = serviceLocation(role, serviceFlags(flags), { platform: process.platform, env: process.env, home: homedir() });
    const result = await uninstallService(role, where, context);
    if (flags.json) printJson(result);
    else printLines([result.removed ? (result.stopped ? `Stopped, disabled and removed ${result.path}.` : `Removed ${result.path}.`) : '', ...result.notes].filter(Boolean));
    return EXIT_OK;
  } catch (error) {
    return rethrow(error);
  }
}

export async function runServiceStatus(role: ServiceRole, flags: Record<string, unknown>): Promise<number> {
  const context = defaultContext();
  let status: StatusResult;
  try {
    status = await serviceStatus(role, serviceLocation(role, serviceFlags(flags), { platform: process.platform, env: process.env, home: homedir() }), context);
  } catch (error) {
    return rethrow(error);
  }
  if (flags.json) printJson(status);
  else if (!status.installed) printLines([`No tether ${role} service installed (looked for ${status.path}). Install one: tether ${role} install${flags.system ? ' --system' : ''}`]);
  else {
    printLines([
      `Installed: ${status.path} (${KIND_LABEL[status.kind]}${status.managedByTether ? '' : ', NOT written by tether'})`,
      ...(status.note ? [`State:     unknown: ${status.note}`] : [`Enabled:   ${status.enabled ?? 'unknown'}`, `Active:    ${status.active ?? 'unknown'}`]),
      `Status:    ${status.statusCommand}`,
      `Logs:      ${status.logsCommand}`,
    ]);
  }
  return status.installed ? EXIT_OK : EXIT_FAILED;
}

/** The flags `status` needs to find the service file (shared with `tether gateway status --service`). */
export function withServiceLocationOptions(command: Command): Command {
  return command
    .option('--system', 'the system service (/etc/systemd/system) instead of the user one')
    .option('--unit-dir <dir>', 'look for the service file here (default: the system\'s own; also TETHER_SERVICE_DIR)');
}

export function registerServiceCommands(parent: Command, role: ServiceRole, defaultStateDir: () => Promise<string>): void {
  defaultStateDirs.set(role, defaultStateDir);
  const install = parent
    .command('install')
    .description(
      role === 'gateway'
        ? 'install the gateway as a service that starts at boot (systemd user unit; --system for a hardened system unit; a LaunchAgent on macOS)'
        : 'install this node as a service that starts at boot (--pair <code> pairs first, in the foreground)',
    )
    .option('--system', 'a system unit (/etc/systemd/system, user tether, hardened; needs root)')
    .option('--state-dir <dir>', role === 'gateway' ? 'state directory (default: TETHER_STATE_DIR or ~/.tether; /var/lib/tether with --system)' : 'node state directory (default: TETHER_NODE_STATE_DIR or ~/.tether/node; /var/lib/tether-node with --system)')
    .option('--unit-dir <dir>', 'write the service file here instead (tests, packaging; also TETHER_SERVICE_DIR)')
    .option('--no-start', 'write the file only: do not reload, enable or start')
    .option('--json', 'print JSON');
  if (role === 'gateway') {
    install.option('--port <port>', 'bake this port into the service (default: the config, 18789)').option('--host <host>', 'bake this bind address into the service');
  } else {
    install
      .option('--url <url>', 'the gateway this node serves (wss://HOST:18789)')
      .option('--pair <code>', 'a setup code from `tether devices setup-code`: paired now, then the service runs with the URL only')
      .option('--pair-file <file>', 'read the setup code from this file (0600), then delete it')
      .option('--pair-timeout <duration>', 'how long to wait for the pairing (default 2m)')
      .option('--display-name <name>', 'how this node appears in `tether nodes list`')
      .option('--trust-fingerprint <sha256>', "pin the gateway's TLS certificate")
      .option('--insecure', 'allow plaintext ws:// beyond loopback');
  }
  install.action(action(async (flags) => runInstall(role, flags)));

  withServiceLocationOptions(parent.command('uninstall').description(`stop, disable and remove the ${role} service (never the state dir)`))
    .option('--json', 'print JSON')
    .action(action(async (flags) => runUninstall(role, flags)));

  if (role === 'node') {
    withServiceLocationOptions(parent.command('status').description('is the node service installed, enabled and running?'))
      .option('--json', 'print JSON')
      .action(action(async (flags) => runServiceStatus(role, flags)));
  }
}

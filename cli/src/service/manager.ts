/**
 * Install, uninstall and status of a service: write the file atomically, then ask systemd or launchd to
 * load it. Where there is no running service manager (a container, a chroot), the file is still written
 * and the result says so, with the exact commands to run later.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '@tether/pairing';
import { runTool, shellLine, systemdUnavailable, type ToolResult, type ToolRunner } from './run-tool.js';
import { isTetherServiceFile, type ServiceKind, type ServiceRole } from './units.js';
import type { ServicePlan } from './plan.js';

export class ServiceError extends Error {
  constructor(
    message: string,
    readonly code: 'SERVICE_FOREIGN' | 'SERVICE_NEEDS_ROOT' | 'SERVICE_WRITE_FAILED' | 'SERVICE_BAD_VALUE' | 'SERVICE_PAIR_FAILED',
  ) {
    super(message);
  }
}

export interface ServiceContext {
  run: ToolRunner;
  uid: number;
  userName: string;
}

export function defaultContext(): ServiceContext {
  return { run: runTool, uid: process.getuid?.() ?? -1, userName: process.env.USER || process.env.LOGNAME || userInfo().username };
}

export interface Step {
  command: string;
  ok: boolean;
  output?: string;
}

export interface InstallResult {
  ok: true;
  role: ServiceRole;
  kind: ServiceKind;
  name: string;
  path: string;
  stateDir: string;
  file: 'created' | 'updated' | 'unchanged';
  started: boolean;
  /** Why it was not started (no systemd, a failed command), when it was not. */
  notStarted?: string;
  steps: Step[];
  /** Commands a person still has to run, in order. */
  todo: string[];
  hints: string[];
  statusCommand: string;
  logsCommand: string;
}

function systemctl(kind: ServiceKind, ...args: string[]): string[] {
  return kind === 'systemd-user' ? ['systemctl', '--user', ...args] : ['systemctl', ...args];
}

export function statusAndLogCommands(kind: ServiceKind, name: string, uid: number, logPath?: string): { statusCommand: string; logsCommand: string } {
  if (kind === 'launchd') return { statusCommand: `launchctl print gui/${uid}/${name}`, logsCommand: shellLine(['tail', '-f', logPath ?? '']) };
  const user = kind === 'systemd-user' ? ['--user'] : [];
  return { statusCommand: shellLine(['systemctl', ...user, 'status', name]), logsCommand: shellLine(['journalctl', ...user, '-u', name, '-f']) };
}

async function step(context: ServiceContext, steps: Step[], argv: string[]): Promise<ToolResult> {
  const result = await context.run(argv[0]!, argv.slice(1));
  const output = `${result.stdout}${result.stderr}`.trim();
  steps.push({ command: shellLine(argv), ok: result.ok, ...(output ? { output } : {}) });
  return result;
}

/** Refuses to overwrite or remove a file that Tether did not write. */
function readOwnFile(path: string, role: ServiceRole, action: 'overwrite' | 'remove'): string | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  if (!isTetherServiceFile(text)) {
    throw new ServiceError(`${path} exists but was not written by tether (no tether-managed-service marker), so it will not ${action} it. Move it away yourself if tether ${role} should manage this service.`, 'SERVICE_FOREIGN');
  }
  return text;
}

/** The `tether` account of a system unit: created when running as root, else the command is printed. */
async function ensureSystemUser(plan: ServicePlan, context: ServiceContext, steps: Step[], todo: string[]): Promise<void> {
  const user = plan.spec.user ?? 'tether';
  const exists = await context.run('id', ['-u', user]);
  if (exists.ok) return;
  const useradd = ['useradd', '--system', '--user-group', '--home-dir', '/nonexistent', '--no-create-home', '--shell', '/usr/sbin/nologin', user];
  if (context.uid === 0) {
    const created = await step(context, steps, useradd);
    if (!created.ok) throw new ServiceError(`could not create the system user ${user}: ${created.stderr.trim() || 'useradd failed'}. Create it yourself: ${shellLine(useradd)}`, 'SERVICE_WRITE_FAILED');
  } else {
    todo.push(`sudo ${shellLine(useradd)}`);
  }
}

/** A state dir outside /var/lib (ReadWritePaths=) must exist and belong to the service account. */
async function prepareSystemStateDir(plan: ServicePlan, context: ServiceContext, steps: Step[], todo: string[]): Promise<void> {
  if (plan.spec.stateDirectoryName !== undefined) return; // StateDirectory=: systemd creates and chowns it.
  const user = plan.spec.user ?? 'tether';
  const chown = ['chown', '-R', `${user}:${user}`, plan.spec.stateDir];
  if (context.uid === 0) {
    mkdirSync(plan.spec.stateDir, { recursive: true, mode: 0o700 });
    const owned = await step(context, steps, chown);
    if (!owned.ok) todo.push(shellLine(chown));
  } else {
    todo.push(`sudo ${shellLine(['install', '-d', '-m', '0700', '-o', user, '-g', user, plan.spec.stateDir])}`);
  }
}

export interface InstallOptions {
  /** Write the file only: no daemon-reload, enable or bootstrap. */
  noStart?: boolean;
}

export async function installService(plan: ServicePlan, context: ServiceContext, options: InstallOptions = {}): Promise<InstallResult> {
  if (plan.kind === 'systemd-system' && !plan.customUnitDir && context.uid !== 0) {
    throw new ServiceError(`a system service is written to ${plan.unitDir}, which needs root: run it with sudo (sudo ${shellLine([process.execPath, process.argv[1] ?? 'tether'])} ${plan.role} install --system …), or install a user service: leave --system out`, 'SERVICE_NEEDS_ROOT');
  }
  const steps: Step[] = [];
  const todo: string[] = [];
  const hints: string[] = [];
  const previous = readOwnFile(plan.filePath, plan.role, 'overwrite');
  if (plan.kind === 'systemd-system') {
    await ensureSystemUser(plan, context, steps, todo);
    await prepareSystemStateDir(plan, context, steps, todo);
  }
  try {
    mkdirSync(dirname(plan.filePath), { recursive: true, mode: 0o755 });
    if (previous !== plan.text) await writeFileAtomic(plan.filePath, plan.text, 0o644);
    if (plan.spec.logPath) mkdirSync(dirname(plan.spec.logPath), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ServiceError(`could not write ${plan.filePath}: ${(error as Error).message}`, 'SERVICE_WRITE_FAILED');
  }
  const file = previous === undefined ? 'created' : previous === plan.text ? 'unchanged' : 'updated';
  const { statusCommand, logsCommand } = statusAndLogCommands(plan.kind, plan.name, context.uid, plan.spec.logPath);

  const startCommands =
    plan.kind === 'launchd'
      ? [['launchctl', 'bootout', `gui/${context.uid}/${plan.name}`], ['launchctl', 'bootstrap', `gui/${context.uid}`, plan.filePath]]
      : [systemctl(plan.kind, 'daemon-reload'), systemctl(plan.kind, 'enable', '--now', plan.name), ...(file === 'updated' ? [systemctl(plan.kind, 'restart', plan.name)] : [])];
  let started = false;
  let notStarted: string | undefined;
  if (options.noStart) {
    notStarted = 'you asked for --no-start';
  } else {
    started = true;
    for (const [i, argv] of startCommands.entries()) {
      const result = await step(context, steps, argv);
      // bootout of a service that is not loaded fails, and that is the normal first install.
      if (!result.ok && !(plan.kind === 'launchd' && i === 0)) {
        started = false;
        notStarted = systemdUnavailable(result)
          ? `${argv[0]} could not reach a running service manager (${firstLine(result.stderr) || 'not available'}): the file is written, but nothing was started`
          : `${shellLine(argv)} failed: ${firstLine(result.stderr) || `exit code ${result.code}`}`;
        break;
      }
    }
  }
  if (!started) {
    for (const argv of startCommands) todo.push(plan.kind === 'systemd-system' && context.uid !== 0 ? `sudo ${shellLine(argv)}` : shellLine(argv));
  }
  if (plan.kind === 'systemd-user') {
    const linger = await context.run('loginctl', ['show-user', context.userName, '-p', 'Linger']);
    const enable = shellLine(['sudo', 'loginctl', 'enable-linger', context.userName]);
    if (!linger.ok) hints.push(`Could not tell whether lingering is on for ${context.userName} (${firstLine(linger.stderr) || 'loginctl failed'}). Without it the service starts only when you log in; to start it at boot: ${enable}`);
    else if (/^Linger=no/m.test(linger.stdout)) hints.push(`Lingering is off for ${context.userName}: the service starts when you log in, not at boot. To start it at boot without a login: ${enable}`);
  }
  return { ok: true, role: plan.role, kind: plan.kind, name: plan.name, path: plan.filePath, stateDir: plan.spec.stateDir, file, started, ...(notStarted ? { notStarted } : {}), steps, todo, hints, statusCommand, logsCommand };
}

export interface ServiceLocation {
  kind: ServiceKind;
  name: string;
  filePath: string;
  unitDir: string;
  customUnitDir: boolean;
}

export interface UninstallResult {
  ok: true;
  role: ServiceRole;
  path: string;
  removed: boolean;
  stopped: boolean;
  steps: Step[];
  notes: string[];
}

export async function uninstallService(role: ServiceRole, where: ServiceLocation, context: ServiceContext): Promise<UninstallResult> {
  const existing = readOwnFile(where.filePath, role, 'remove');
  if (existing === undefined) return { ok: true, role, path: where.filePath, removed: false, stopped: false, steps: [], notes: [`No tether ${role} service at ${where.filePath}: nothing to remove.`] };
  if (where.kind === 'systemd-system' && !where.customUnitDir && context.uid !== 0) {
    throw new ServiceError(`removing a system service needs root: run it with sudo (… ${role} uninstall --system)`, 'SERVICE_NEEDS_ROOT');
  }
  const steps: Step[] = [];
  const notes: string[] = [];
  const stop = where.kind === 'launchd' ? ['launchctl', 'bootout', `gui/${context.uid}/${where.name}`] : systemctl(where.kind, 'disable', '--now', where.name);
  const stopped = await step(context, steps, stop);
  if (!stopped.ok) notes.push(`${shellLine(stop)} failed (${firstLine(stopped.stderr) || `exit code ${stopped.code}`}); the file is removed anyway${systemdUnavailable(stopped) ? '' : ': if it still runs, stop it yourself'}.`);
  rmSync(where.filePath, { force: true });
  if (where.kind !== 'launchd' && stopped.ok) await step(context, steps, systemctl(where.kind, 'daemon-reload'));
  notes.push('The state dir was left as it is (identity, tokens, config): remove it yourself if you want them gone.');
  return { ok: true, role, path: where.filePath, removed: true, stopped: stopped.ok, steps, notes };
}

export interface StatusResult {
  role: ServiceRole;
  kind: ServiceKind;
  name: string;
  path: string;
  installed: boolean;
  managedByTether?: boolean;
  /** From systemctl is-enabled / launchctl, or undefined when no service manager answers. */
  enabled?: string;
  active?: string;
  note?: string;
  statusCommand: string;
  logsCommand: string;
}

export async function serviceStatus(role: ServiceRole, where: ServiceLocation, context: ServiceContext): Promise<StatusResult> {
  const logPath = where.kind === 'launchd' ? join(dirname(dirname(where.unitDir)), 'Library', 'Logs', 'tether', `${role}.log`) : undefined;
  const base = { role, kind: where.kind, name: where.name, path: where.filePath, ...statusAndLogCommands(where.kind, where.name, context.uid, logPath) };
  if (!existsSync(where.filePath)) return { ...base, installed: false };
  const managedByTether = isTetherServiceFile(readFileSync(where.filePath, 'utf8'));
  if (where.kind === 'launchd') {
    const printed = await context.run('launchctl', ['print', `gui/${context.uid}/${where.name}`]);
    if (printed.missing) return { ...base, installed: true, managedByTether, note: 'launchctl is not available here' };
    const state = /^\s*state = (\S+)/m.exec(printed.stdout)?.[1];
    return { ...base, installed: true, managedByTether, enabled: printed.ok ? 'loaded' : 'not loaded', ...(state ? { active: state } : {}) };
  }
  const enabled = await context.run(...splitArgv(systemctl(where.kind, 'is-enabled', where.name)));
  const active = await context.run(...splitArgv(systemctl(where.kind, 'is-active', where.name)));
  const down = [enabled, active].find(systemdUnavailable);
  if (down) return { ...base, installed: true, managedByTether, note: `no running systemd to ask (${firstLine(down.stderr) || 'systemctl not found'})` };
  return { ...base, installed: true, managedByTether, enabled: firstLine(enabled.stdout) || 'unknown', active: firstLine(active.stdout) || 'unknown' };
}

function splitArgv(argv: string[]): [string, string[]] {
  return [argv[0]!, argv.slice(1)];
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

/**
 * The three kinds of service file Tether writes: a systemd user unit, a hardened systemd system unit and
 * a launchd agent. All three render on every platform (tests verify each one); the installer writes only
 * the kind that fits the machine.
 */
import { environmentAssignment, execStartLine, pathListWord, ServiceValueError, xmlText } from './quote.js';

export type ServiceRole = 'gateway' | 'node';
export type ServiceKind = 'systemd-user' | 'systemd-system' | 'launchd';

/** Every unit Tether writes carries this line; uninstall refuses a file without it. */
export const SERVICE_MARKER = 'tether-managed-service';

export interface ServiceSpec {
  role: ServiceRole;
  kind: ServiceKind;
  /** argv of the service: absolute Node, absolute CLI entry, then the command's own arguments. */
  argv: string[];
  stateDir: string;
  env: Record<string, string>;
  /** systemd-system only: the account it runs as (default `tether`). */
  user?: string;
  /** systemd-system only: `StateDirectory=` name when the state dir is /var/lib/<name>, else ReadWritePaths=. */
  stateDirectoryName?: string;
  /** systemd-system, node only: device groups that exist on this machine (video, render, input). */
  supplementaryGroups?: string[];
  /** systemd ≥ 254 knows RestartSteps=/RestartMaxDelaySec= (exponential backoff). */
  systemdVersion?: number;
  /** launchd only: where stdout and stderr go (launchd has no journal). */
  logPath?: string;
}

export function unitName(role: ServiceRole): string {
  return role === 'gateway' ? 'tether-gateway' : 'tether-node';
}

export function launchdLabel(role: ServiceRole): string {
  return `dev.tether.${role}`;
}

export function serviceFileName(role: ServiceRole, kind: ServiceKind): string {
  return kind === 'launchd' ? `${launchdLabel(role)}.plist` : `${unitName(role)}.service`;
}

function argvWords(spec: ServiceSpec): { label: string; value: string }[] {
  return spec.argv.map((value, i) => ({ label: i === 0 ? 'the Node.js path' : i === 1 ? 'the tether entry path' : `argument ${i - 1} of the service command`, value }));
}

export function renderSystemdUnit(spec: ServiceSpec): string {
  if (spec.kind === 'launchd') throw new Error('renderSystemdUnit needs a systemd kind');
  const system = spec.kind === 'systemd-system';
  const name = unitName(spec.role);
  const command = spec.role === 'gateway' ? 'tether gateway' : 'tether node';
  const lines = [
    `# ${SERVICE_MARKER}: written by \`${command} install\`; \`${command} uninstall\` removes it (and never the state dir).`,
    '[Unit]',
    `Description=Tether ${spec.role}`,
  ];
  // A user manager has no network-online.target; a node and the gateway retry on their own anyway.
  if (system) lines.push('Wants=network-online.target', 'After=network-online.target');
  // Never give up: a service that runs for months must come back after any number of crashes.
  lines.push('StartLimitIntervalSec=0', '', '[Service]', 'Type=simple');
  lines.push(`ExecStart=${execStartLine(argvWords(spec))}`);
  for (const [key, value] of Object.entries(spec.env)) lines.push(`Environment=${environmentAssignment(key, value)}`);
  lines.push('Restart=on-failure', 'RestartSec=5s');
  if ((spec.systemdVersion ?? 0) >= 254) lines.push('RestartSteps=6', 'RestartMaxDelaySec=2min');
  lines.push('TimeoutStopSec=20s', 'StandardOutput=journal', 'StandardError=journal', `SyslogIdentifier=${name}`, 'UMask=0077');
  if (system) {
    const user = spec.user ?? 'tether';
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) throw new ServiceValueError(`--user "${user}" is not a valid account name`);
    lines.push(`User=${user}`, `Group=${user}`);
    if (spec.stateDirectoryName !== undefined) {
      if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(spec.stateDirectoryName)) throw new ServiceValueError(`state directory name "${spec.stateDirectoryName}" is not a plain relative path`);
      lines.push(`StateDirectory=${spec.stateDirectoryName}`, 'StateDirectoryMode=0700');
    } else {
      lines.push(`ReadWritePaths=${pathListWord('the state dir', spec.stateDir)}`);
    }
    lines.push(
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'ProtectKernelTunables=yes',
      'ProtectKernelModules=yes',
      'ProtectKernelLogs=yes',
      'ProtectControlGroups=yes',
      'ProtectClock=yes',
      'RestrictSUIDSGID=yes',
      'RestrictRealtime=yes',
      'RestrictNamespaces=yes',
      'LockPersonality=yes',
      // No MemoryDenyWriteExecute=: V8's JIT needs writable, executable memory.
    );
    if (spec.role === 'gateway') lines.push('PrivateDevices=yes');
    const groups = spec.supplementaryGroups ?? [];
    for (const group of groups) if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(group)) throw new ServiceValueError(`group "${group}" is not a valid group name`);
    // Cameras (video), GPUs for encoding (render) and input devices (input); only groups that exist here.
    if (spec.role === 'node' && groups.length > 0) lines.push(`SupplementaryGroups=${groups.join(' ')}`);
  }
  lines.push('', '[Install]', `WantedBy=${system ? 'multi-user.target' : 'default.target'}`, '');
  return lines.join('\n');
}

export function renderLaunchdPlist(spec: ServiceSpec): string {
  if (spec.kind !== 'launchd') throw new Error('renderLaunchdPlist needs the launchd kind');
  const string = (label: string, value: string) => `<string>${xmlText(label, value)}</string>`;
  const log = spec.logPath ?? `${spec.stateDir}/${spec.role}.log`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    `<!-- ${SERVICE_MARKER}: written by \`tether ${spec.role} install\`; \`tether ${spec.role} uninstall\` removes it. -->`,
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  ${string('label', launchdLabel(spec.role))}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...argvWords(spec).map(({ label, value }) => `    ${string(label, value)}`),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    ...Object.entries(spec.env).flatMap(([key, value]) => [`    <key>${xmlText('variable name', key)}</key>`, `    ${string(key, value)}`]),
    '  </dict>',
    '  <key>RunAtLoad</key>',
    '  <true/>',
    // Restart only after a failure, and not faster than every 10 s (launchd's own throttle).
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ThrottleInterval</key>',
    '  <integer>10</integer>',
    '  <key>ProcessType</key>',
    '  <string>Background</string>',
    '  <key>StandardOutPath</key>',
    `  ${string('the log path', log)}`,
    '  <key>StandardErrorPath</key>',
    `  ${string('the log path', log)}`,
    '</dict>',
    '</plist>',
    '',
  ];
  return lines.join('\n');
}

export function renderServiceFile(spec: ServiceSpec): string {
  return spec.kind === 'launchd' ? renderLaunchdPlist(spec) : renderSystemdUnit(spec);
}

/** Is this file one Tether wrote? (The marker must be in a comment near the top.) */
export function isTetherServiceFile(text: string): boolean {
  return text
    .split('\n')
    .slice(0, 5)
    .some((line) => (line.startsWith('#') || line.startsWith('<!--')) && line.includes(`${SERVICE_MARKER}:`));
}

/**
 * The security audit's rules: pure functions from the effective config and a snapshot of the pairing
 * store to findings. No I/O here, so each rule is unit-tested with hostile inputs directly.
 */
import type { PairedDevice } from '@tether/pairing';
import { isLoopbackHost, type GatewayConfig } from '../config.js';
import type { Finding } from './finding.js';

/** The config subset the rules read; a full GatewayConfig fits. */
export type AuditConfig = Pick<GatewayConfig, 'host' | 'authMode' | 'tls' | 'allowedOrigins' | 'allowCommands' | 'autoApproveLoopback' | 'configPath'> & {
  agent: Pick<GatewayConfig['agent'], 'model' | 'scopes' | 'policy'>;
  channels: Record<string, { dmPolicy?: string }>;
};

export interface AuditSnapshot {
  paired: readonly PairedDevice[];
  nowMs: number;
}

export interface AuditOptions {
  /** A device token older than this, never rotated, is reported. */
  tokenMaxAgeDays: number;
}

export const DEFAULT_AUDIT_OPTIONS: AuditOptions = { tokenMaxAgeDays: 90 };

const DAY_MS = 86_400_000;

export function auditBind(config: AuditConfig): Finding[] {
  const where = `in ${config.configPath}`;
  if (isLoopbackHost(config.host)) {
    if (config.authMode === 'none') {
      return [{ id: 'auth.none-on-loopback', severity: 'warn', message: `auth is off: any local process (and any web page a browser opens that reaches ${config.host}) can act as the owner`, fix: `set gateway.auth.mode to "token" ${where}` }];
    }
    return [];
  }
  const findings: Finding[] = [];
  if (config.authMode === 'none') {
    findings.push({ id: 'bind.public-without-auth', severity: 'critical', message: `the gateway listens on ${config.host} with auth off: anyone who reaches the port is the owner`, fix: `set gateway.auth.mode to "token" ${where}, or bind to 127.0.0.1` });
  }
  if (!config.tls.enabled) {
    findings.push({ id: 'bind.public-without-tls', severity: 'critical', message: `the gateway listens on ${config.host} without TLS: tokens and every command cross the network in the clear`, fix: `remove gateway.tls.enabled: false ${where} (TLS is on by default beyond loopback), or bind to 127.0.0.1 behind a TLS proxy` });
  }
  if (config.host === '0.0.0.0' || config.host === '::') {
    findings.push({ id: 'bind.all-interfaces', severity: 'info', message: `the gateway listens on every interface (${config.host})`, fix: `set gateway.host ${where} to the one address nodes use, if there is one` });
  }
  return findings;
}

export function auditOrigins(config: AuditConfig): Finding[] {
  const findings: Finding[] = [];
  for (const origin of config.allowedOrigins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || origin.includes('*')) {
      findings.push({ id: 'origins.wildcard', severity: 'critical', message: `allowed origin "${origin}" is not one exact origin: any web page could open a socket to the gateway`, fix: `list exact origins in gateway.allowedOrigins (e.g. "https://tether.example"), or remove it` });
      continue;
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname.replace(/^\[|\]$/g, ''))) {
      findings.push({ id: 'origins.plain-http', severity: 'warn', message: `allowed origin ${origin} is plain http beyond loopback: anyone on that network path can inject a page that uses it`, fix: `serve that page over https and list the https origin in gateway.allowedOrigins` });
    }
  }
  return findings;
}

/** system.run on every node is the widest grant there is; the node's own exec policy still applies. */
export function auditNodeCommands(config: AuditConfig): Finding[] {
  const wide = config.allowCommands.filter((c) => c === 'system.run' || c === 'system.*' || c === '*');
  if (wide.length === 0) return [];
  return [
    {
      id: 'nodes.system-run-allowed',
      severity: 'warn',
      message: `nodes.allowCommands (${wide.join(', ')}) lets every paired node be asked to run programs; only each node's own exec policy (its allowlist and approvals) stands between an operator.write caller and a shell`,
      fix: 'keep each node\'s exec security at "allowlist" (`tether node policy --security allowlist` on the node), and approve system.run per node rather than in nodes.allowCommands',
    },
  ];
}

export function auditDevices(snapshot: AuditSnapshot, options: AuditOptions = DEFAULT_AUDIT_OPTIONS): Finding[] {
  const findings: Finding[] = [];
  const maxAgeMs = options.tokenMaxAgeDays * DAY_MS;
  for (const device of [...snapshot.paired].sort((a, b) => a.deviceId.localeCompare(b.deviceId))) {
    const label = `${device.displayName ?? 'unnamed'} (${device.deviceId.slice(0, 12)})`;
    if (device.scopes.includes('operator.admin')) {
      findings.push({ id: 'devices.operator-admin', severity: 'info', message: `device ${label} holds operator.admin (it can change pairing, config and every device)`, fix: `if it does not need it, remove it and approve it again with fewer scopes: tether devices remove ${device.deviceId.slice(0, 12)}` });
    }
    for (const token of Object.values(device.tokens)) {
      if (!token || token.revokedAtMs !== undefined) continue;
      const since = token.rotatedAtMs ?? token.createdAtMs;
      if (snapshot.nowMs - since > maxAgeMs) {
        const days = Math.floor((snapshot.nowMs - since) / DAY_MS);
        findings.push({ id: 'tokens.not-rotated', severity: 'warn', message: `the ${token.role} token of device ${label} was ${token.rotatedAtMs ? 'last rotated' : 'issued'} ${days} days ago and never rotated since`, fix: `rotate it: tether devices rotate --device ${device.deviceId.slice(0, 12)} --role ${token.role}` });
      }
    }
  }
  return findings;
}

export function auditChannels(config: AuditConfig): Finding[] {
  return Object.entries(config.channels)
    .filter(([, channel]) => channel.dmPolicy === 'open')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name]) => ({
      id: 'channels.dm-open',
      severity: config.agent.model ? ('critical' as const) : ('warn' as const),
      message: `channels.${name}.dmPolicy is "open": any ${name} user who finds the bot can talk to the agent${config.agent.model ? ', which drives your nodes' : ''}`,
      fix: `set channels.${name}.dmPolicy to "pairing" (approve senders with a code) or "allowlist" with allowFrom`,
    }));
}

export function auditAgent(config: AuditConfig): Finding[] {
  if (!config.agent.model) return [];
  const findings: Finding[] = [];
  const scopes = [...config.agent.scopes];
  const unrestricted = !config.agent.policy.allowCommands && !config.agent.policy.allowNodes;
  findings.push({
    id: 'agent.scopes',
    severity: 'info',
    message: `the agent (${config.agent.model}) holds ${scopes.join(', ') || 'no scopes'}${unrestricted ? ' and may call every node and command the node policy allows' : ''}`,
    fix: scopes.includes('operator.write') ? 'limit it with agent.allowNodes / agent.allowCommands, or give it only operator.read (agent.scopes)' : 'none needed',
  });
  return findings;
}

export function auditPairing(config: AuditConfig): Finding[] {
  if (!config.autoApproveLoopback) return [];
  return [{ id: 'pairing.loopback-auto-approve', severity: 'info', message: 'local nodes that present the shared token are paired without asking', fix: 'set pairing.autoApproveLoopback to false to approve every node by hand' }];
}

/** Every rule over config and store; file modes and live probes are added by their callers. */
export function auditAll(config: AuditConfig, snapshot: AuditSnapshot, options: AuditOptions = DEFAULT_AUDIT_OPTIONS): Finding[] {
  return [...auditBind(config), ...auditOrigins(config), ...auditNodeCommands(config), ...auditDevices(snapshot, options), ...auditChannels(config), ...auditAgent(config), ...auditPairing(config)];
}

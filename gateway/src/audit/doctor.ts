/**
 * `tether doctor`: every check of a gateway's state dir, config and surroundings, in one report.
 * `fix: true` applies only the safe repairs (file modes, a dead gateway's lock) and then checks again.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, isLoopbackHost, resolveGatewayConfig, type GatewayConfig } from '../config.js';
import { readRuntimeInfo } from '../state-dir.js';
import { CERT_FILE, TLS_DIR } from '../tls/certificate.js';
import type { Check } from './finding.js';
import { findLooseEntries, fixLooseEntries, octal } from './file-modes.js';
import { certificateExpiryCheck, diskSpaceCheck } from './host-checks.js';
import { inspectGatewayLock, removeStaleLock } from './lock.js';
import { modelEndpointCheck, portCheck, reachabilityChecks } from './network-checks.js';

export interface DoctorOptions {
  stateDir: string;
  fix?: boolean;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface DoctorResult {
  stateDir: string;
  checks: Check[];
  /** What --fix changed, one line each. */
  fixed: string[];
  ok: boolean;
}

export function stateDirChecks(stateDir: string): Check[] {
  if (!existsSync(stateDir)) return [{ id: 'state-dir', status: 'problem', message: `the state dir ${stateDir} does not exist`, fix: 'start the gateway once (tether up or tether gateway run) to create it, or pass --state-dir' }];
  const loose = findLooseEntries(stateDir);
  if (loose.length === 0) return [{ id: 'state-dir.modes', status: 'ok', message: `${stateDir} and everything in it are private to this user` }];
  const shown = loose.slice(0, 10).map((e) => `${e.name} (${octal(e.mode)}${e.kind === 'dir' ? ', dir' : ''})`);
  return [
    {
      id: 'state-dir.modes',
      status: 'problem',
      message: `${loose.length} entr${loose.length === 1 ? 'y is' : 'ies are'} readable or writable by other users in ${stateDir}: ${shown.join(', ')}${loose.length > 10 ? ', …' : ''}`,
      fix: 'tether doctor --fix (directories 0700, files 0600); rotate the gateway token if others could read gateway.token',
      fixable: true,
    },
  ];
}

export function lockCheck(stateDir: string): Check {
  const lock = inspectGatewayLock(stateDir);
  if (lock.state === 'absent') return { id: 'gateway.lock', status: 'ok', message: 'no gateway lock (no gateway is running from this state dir)' };
  if (lock.state === 'live') return { id: 'gateway.lock', status: 'ok', message: `the gateway lock is held by pid ${lock.pid}` };
  return {
    id: 'gateway.lock',
    status: 'problem',
    message: `the gateway lock ${lock.path} is stale (${lock.pid ? `pid ${lock.pid} is not running` : 'it holds no pid'})`,
    fix: 'tether doctor --fix removes it (a gateway also takes over a dead owner\'s lock at start)',
    fixable: true,
  };
}

export function configCheck(stateDir: string, env: NodeJS.ProcessEnv): { check: Check; config?: GatewayConfig } {
  try {
    const config = resolveGatewayConfig(stateDir, {}, env);
    return { check: { id: 'config', status: 'ok', message: existsSync(config.configPath) ? `${config.configPath} is valid` : `no ${config.configPath}: defaults apply` }, config };
  } catch (error) {
    if (error instanceof ConfigError) return { check: { id: 'config', status: 'problem', message: error.message, fix: 'edit tether.json as the message says; tether doctor checks it again' } };
    throw error;
  }
}

/** The channels resolved (so their `${ENV}` secrets and stored credentials were found); names only, never values. */
export function channelChecks(config: GatewayConfig): Check[] {
  return Object.keys(config.channels)
    .sort()
    .map((name) => ({ id: `channels.${name}`, status: 'ok' as const, message: `channel ${name}: its credentials are present` }));
}

function applyFixes(stateDir: string): string[] {
  const fixed: string[] = [];
  const loose = findLooseEntries(stateDir);
  const failed = fixLooseEntries(loose, stateDir);
  for (const entry of loose) if (!failed.some((f) => f.entry === entry)) fixed.push(`chmod ${octal(entry.wanted)} ${entry.name}`);
  for (const { entry, error } of failed) fixed.push(`could not chmod ${entry.name}: ${error}`);
  if (removeStaleLock(stateDir)) fixed.push('removed the stale gateway lock');
  return fixed;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorResult> {
  const env = options.env ?? process.env;
  const { stateDir } = options;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const fixed = options.fix && existsSync(stateDir) ? applyFixes(stateDir) : [];
  const checks: Check[] = [...stateDirChecks(stateDir)];
  const { check, config } = configCheck(stateDir, env);
  checks.push(check);
  if (existsSync(stateDir)) checks.push(lockCheck(stateDir));
  if (config) {
    const runtime = readRuntimeInfo(stateDir);
    checks.push(await portCheck(config.host, config.port, config.tls.enabled, timeoutMs));
    if (runtime) {
      const { reach, skew } = await reachabilityChecks(runtime.url, timeoutMs, true);
      checks.push(reach, skew);
    } else {
      checks.push({ id: 'gateway.reachable', status: 'warn', message: `no gateway is running from ${stateDir}`, fix: 'start it: tether gateway run (or tether gateway install for a service)' });
    }
    if (config.tls.enabled || existsSync(join(stateDir, TLS_DIR, CERT_FILE))) checks.push(certificateExpiryCheck(config.tls.certPath ?? join(stateDir, TLS_DIR, CERT_FILE)));
    checks.push(...channelChecks(config));
    if (config.agent.model) checks.push(await modelEndpointCheck(config.agent.baseUrl, config.agent.apiKey, timeoutMs));
    if (!isLoopbackHost(config.host) && config.authMode === 'none') {
      checks.push({ id: 'config.auth', status: 'problem', message: 'auth is off beyond loopback', fix: 'set gateway.auth.mode to "token"' });
    }
  }
  if (existsSync(stateDir)) {
    checks.push(diskSpaceCheck('disk.state', stateDir));
    const media = join(stateDir, 'media');
    if (existsSync(media)) checks.push(diskSpaceCheck('disk.media', media));
  }
  return { stateDir, checks, fixed, ok: !checks.some((c) => c.status === 'problem') };
}

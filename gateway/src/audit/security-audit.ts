/** `tether security audit`: the config and store rules, the state dir's file modes, and (deep) live probes. */
import { ConfigError, resolveGatewayConfig } from '../config.js';
import { findLooseEntries, octal } from './file-modes.js';
import { sortFindings, type Finding } from './finding.js';
import { auditAll, DEFAULT_AUDIT_OPTIONS, type AuditOptions } from './rules.js';
import { readAuditSnapshot } from './snapshot.js';

export function fileModeFindings(stateDir: string): Finding[] {
  return findLooseEntries(stateDir).map((entry) => {
    const secret = /(^|\/)(gateway\.token|.*key.*\.pem|state\.json|credentials\/.*|creds\.json)$/.test(entry.name) || entry.name.startsWith('channels/');
    const worldReadable = (entry.mode & 0o004) !== 0;
    return {
      id: entry.kind === 'dir' ? 'files.dir-not-private' : worldReadable ? 'files.world-readable' : 'files.group-readable',
      severity: secret && worldReadable ? 'critical' : 'warn',
      message: `${entry.name} in the state dir is ${octal(entry.mode)}${secret ? ' and holds secrets' : ''}`,
      fix: `tether doctor --fix (sets ${octal(entry.wanted)})${secret && entry.name.endsWith('gateway.token') ? ', then rotate the token: delete gateway.token and restart the gateway' : ''}`,
    };
  });
}

export function securityAudit(stateDir: string, env: NodeJS.ProcessEnv = process.env, options: AuditOptions = DEFAULT_AUDIT_OPTIONS): Finding[] {
  let config;
  try {
    config = resolveGatewayConfig(stateDir, {}, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return sortFindings([{ id: 'config.invalid', severity: 'critical', message: error.message, fix: 'fix tether.json (tether doctor shows the same), then audit again' }, ...fileModeFindings(stateDir)]);
  }
  return sortFindings([...auditAll(config, readAuditSnapshot(stateDir), options), ...fileModeFindings(stateDir)]);
}

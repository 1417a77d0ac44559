/**
 * The shapes doctor and the security audit report in. A finding is a standing risk (stable `id`, so
 * scripts and docs can name it); a check is one thing doctor looked at, passed or not.
 */
export type Severity = 'info' | 'warn' | 'critical';

export interface Finding {
  /** Stable, dotted: `bind.public-without-tls`. Never reworded once shipped. */
  id: string;
  severity: Severity;
  message: string;
  /** What to do about it, as a command or a config edit. */
  fix: string;
}

export type CheckStatus = 'ok' | 'warn' | 'problem' | 'skipped';

export interface Check {
  /** Stable: `state-dir.modes`, `config`, `port`, … */
  id: string;
  status: CheckStatus;
  message: string;
  fix?: string;
  /** `tether doctor --fix` can repair this one safely (file modes, a dead gateway's lock). */
  fixable?: boolean;
}

const ORDER: Record<Severity, number> = { critical: 0, warn: 1, info: 2 };

/** Worst first, then by id, so output is stable between runs. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.id.localeCompare(b.id));
}

export function hasCritical(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'critical');
}

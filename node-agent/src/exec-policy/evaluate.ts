import type { ExecPolicy } from './policy-file.js';

export type ExecDecision =
  | { allowed: true }
  | { allowed: false; rule: 'security=deny' | 'allowlist-miss'; message: string };

/**
 * Decides whether the binary at `resolvedPath` (a realpath) may run. Pure: the caller reads the
 * policy file and resolves the path. Allowlist entries match the realpath exactly (no globs, no
 * case folding), so an entry can never match more than the owner meant.
 */
export function evaluateExecPolicy(policy: ExecPolicy, resolvedPath: string): ExecDecision {
  switch (policy.security) {
    case 'full':
      return { allowed: true };
    case 'deny':
      return {
        allowed: false,
        rule: 'security=deny',
        message:
          `exec denied: this node's exec policy is security=deny, so ${resolvedPath} may not run. ` +
          `To let allowlisted binaries run, on the node run: tether node policy --security allowlist ` +
          `(then: tether node allow ${shellQuote(resolvedPath)})`,
      };
    case 'allowlist':
      if (policy.allowlist.includes(resolvedPath)) return { allowed: true };
      return {
        allowed: false,
        rule: 'allowlist-miss',
        message:
          `exec denied: ${resolvedPath} is not in this node's exec allowlist. ` +
          `To allow it, on the node run: tether node allow ${shellQuote(resolvedPath)}`,
      };
  }
}

/** Quotes a path so the suggested command can be pasted into a POSIX shell as-is. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

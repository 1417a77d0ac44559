import type { ExecAsk, ExecPolicy } from './policy-file.js';

export type ExecAskRule = 'ask=on-miss' | 'ask=always';
export type ExecDenyRule = 'security=deny' | 'allowlist-miss';

export type ExecDecision =
  | { action: 'allow' }
  /**
   * An operator must approve this one run. `fix` is the owner's command that would let the binary
   * run without asking, for the message when the answer is no.
   */
  | { action: 'ask'; rule: ExecAskRule; ask: Exclude<ExecAsk, 'off'>; fix: string }
  | { action: 'deny'; rule: ExecDenyRule; message: string };

/**
 * Decides whether the binary at `resolvedPath` (a realpath) may run, must be approved first, or may
 * not run. Pure: the caller reads the policy file and resolves the path. Allowlist entries match the
 * realpath exactly (no globs, no case folding), so an entry can never match more than the owner meant.
 * security=deny is never softened by asking: an operator on the gateway cannot override the owner.
 */
export function evaluateExecPolicy(policy: ExecPolicy, resolvedPath: string): ExecDecision {
  const ask: ExecAsk = policy.ask ?? 'off';
  const allow = `tether node allow ${shellQuote(resolvedPath)}`;
  switch (policy.security) {
    case 'deny':
      return {
        action: 'deny',
        rule: 'security=deny',
        message:
          `exec denied by rule security=deny: this node's exec policy lets nothing run, so ${resolvedPath} may not run. ` +
          `To let allowlisted binaries run, on the node run: tether node policy --security allowlist ` +
          `(then: ${allow})`,
      };
    case 'full':
      if (ask === 'always') return { action: 'ask', rule: 'ask=always', ask, fix: 'tether node policy --ask off' };
      return { action: 'allow' };
    case 'allowlist': {
      const listed = policy.allowlist.includes(resolvedPath);
      if (ask === 'always') {
        return { action: 'ask', rule: 'ask=always', ask, fix: listed ? 'tether node policy --ask on-miss' : `${allow} && tether node policy --ask on-miss` };
      }
      if (listed) return { action: 'allow' };
      if (ask === 'on-miss') return { action: 'ask', rule: 'ask=on-miss', ask, fix: allow };
      return {
        action: 'deny',
        rule: 'allowlist-miss',
        message:
          `exec denied by rule allowlist-miss: ${resolvedPath} is not in this node's exec allowlist. ` +
          `To allow it, on the node run: ${allow}`,
      };
    }
  }
}

/** Quotes a value so the suggested command can be pasted into a POSIX shell as-is. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

import { formatArgv, shellQuote } from '@tether/protocol';
import { argsAllowed, describeAllowedArgs, type AllowlistEntry } from './allowlist-entry.js';
import type { ExecAsk, ExecPolicy } from './policy-file.js';

export type ExecAskRule = 'ask=on-miss' | 'ask=always';
export type ExecDenyRule = 'security=deny' | 'allowlist-miss' | 'allowlist-name-mismatch' | 'allowlist-args-mismatch';

/** What a run would start, as system.run resolved it. */
export interface ExecTarget {
  /** Realpath of the binary. */
  path: string;
  /** Where command[0] was found before symlinks were followed (a PATH hit, or the absolute path given). */
  foundAt: string;
  /** basename(foundAt): the program the binary is invoked as. */
  name: string;
  /** command[1..]. */
  args: readonly string[];
}

export type ExecDecision =
  /** `argv0` is what the spawn must pass: the matched entry's name (allowlist), else the invoked name. */
  | { action: 'allow'; argv0: string }
  /**
   * An operator must approve this one run. `fix` is the owner's command that would let the run go
   * ahead without asking, for the message when the answer is no.
   */
  | { action: 'ask'; rule: ExecAskRule; ask: Exclude<ExecAsk, 'off'>; fix: string }
  | { action: 'deny'; rule: ExecDenyRule; message: string };

/** How a target fares against the allowlist, most specific first. */
type AllowlistMatch =
  | { kind: 'match'; entry: AllowlistEntry }
  /** No entry has this binary. */
  | { kind: 'miss' }
  /** Entries have this binary, under other names only. */
  | { kind: 'name-mismatch'; names: string[] }
  /** Entries have this binary and name, but none allows these arguments. */
  | { kind: 'args-mismatch'; entries: AllowlistEntry[] };

/**
 * An entry matches when the realpath equals `path` exactly (no globs, no case folding, so an entry
 * never covers more than the owner meant), the invoked name equals `name`, and the arguments pass
 * `args`. Several entries for one name add up.
 */
export function matchAllowlist(allowlist: readonly AllowlistEntry[], target: ExecTarget): AllowlistMatch {
  const sameBinary = allowlist.filter((entry) => entry.path === target.path);
  if (sameBinary.length === 0) return { kind: 'miss' };
  const sameName = sameBinary.filter((entry) => entry.name === target.name);
  if (sameName.length === 0) return { kind: 'name-mismatch', names: [...new Set(sameBinary.map((entry) => entry.name))] };
  const entry = sameName.find((candidate) => argsAllowed(candidate.args, target.args));
  return entry ? { kind: 'match', entry } : { kind: 'args-mismatch', entries: sameName };
}

/**
 * Decides whether `target` may run, must be approved first, or may not run. Pure: the caller reads
 * the policy file and resolves the binary. security=deny is never softened by asking: an operator on
 * the gateway cannot override the owner.
 */
export function evaluateExecPolicy(policy: ExecPolicy, target: ExecTarget): ExecDecision {
  const ask: ExecAsk = policy.ask ?? 'off';
  const path = shellQuote(target.path);
  switch (policy.security) {
    case 'deny':
      return {
        action: 'deny',
        rule: 'security=deny',
        message:
          `exec denied by rule security=deny: this node's exec policy lets nothing run, so ${path} may not run. ` +
          `To let allowlisted binaries run, on the node run: tether node policy --security allowlist ` +
          `(then: ${allowCommand(target)})`,
      };
    case 'full':
      if (ask === 'always') return { action: 'ask', rule: 'ask=always', ask, fix: 'tether node policy --ask off' };
      return { action: 'allow', argv0: target.name };
    case 'allowlist': {
      const match = matchAllowlist(policy.allowlist, target);
      const fix = fixFor(match, target);
      if (ask === 'always') {
        return { action: 'ask', rule: 'ask=always', ask, fix: match.kind === 'match' ? 'tether node policy --ask on-miss' : `${fix} && tether node policy --ask on-miss` };
      }
      if (match.kind === 'match') return { action: 'allow', argv0: match.entry.name };
      if (ask === 'on-miss') return { action: 'ask', rule: 'ask=on-miss', ask, fix };
      return denial(match, target, fix);
    }
  }
}

/** The owner's command that would let exactly this run go ahead. */
function fixFor(match: AllowlistMatch, target: ExecTarget): string {
  if (match.kind === 'args-mismatch') return allowCommand(target, target.args);
  return allowCommand(target);
}

/**
 * `tether node allow <foundAt>`: the path as found, not the realpath, because the entry's name is
 * taken from it (the realpath of `uname` on busybox is called `busybox`).
 */
function allowCommand(target: ExecTarget, exactArgs?: readonly string[]): string {
  const base = `tether node allow ${shellQuote(target.foundAt)}`;
  if (exactArgs === undefined) return base;
  return exactArgs.length === 0 ? `${base} --exact` : `${base} --exact -- ${formatArgv(exactArgs)}`;
}

function denial(match: Exclude<AllowlistMatch, { kind: 'match' }>, target: ExecTarget, fix: string): ExecDecision {
  const path = shellQuote(target.path);
  const name = shellQuote(target.name);
  switch (match.kind) {
    case 'miss':
      return {
        action: 'deny',
        rule: 'allowlist-miss',
        message: `exec denied by rule allowlist-miss: ${path} is not in this node's exec allowlist. To allow it, on the node run: ${fix}`,
      };
    case 'name-mismatch': {
      const names = match.names.map(shellQuote);
      return {
        action: 'deny',
        rule: 'allowlist-name-mismatch',
        message:
          `exec denied by rule allowlist-name-mismatch: ${path} is on this node's exec allowlist only as ${names.join(' or ')}, ` +
          `but here it is invoked as ${name}. A multi-call binary (busybox, toybox) runs the program its name says, ` +
          `so each name is allowed on its own. Run it as ${names[0]}, or to allow it as ${name}, on the node run: ${fix}`,
      };
    }
    case 'args-mismatch': {
      const allowed = match.entries.map((entry) => describeAllowedArgs(entry)).join('; ');
      const given = target.args.length === 0 ? 'this run has no arguments' : `this run's arguments are ${formatArgv(target.args)}`;
      return {
        action: 'deny',
        rule: 'allowlist-args-mismatch',
        message:
          `exec denied by rule allowlist-args-mismatch: ${name} (${path}) is on this node's exec allowlist ${allowed}, ` +
          `but ${given}. To allow exactly this run, on the node run: ${fix}`,
      };
    }
  }
}

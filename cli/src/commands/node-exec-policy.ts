/**
 * `tether node allow|disallow|policy`: the node owner's edits of what system.run may start here. They
 * write `<nodeStateDir>/exec-policy.json` directly; the gateway plays no part (and cannot).
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { shellQuote } from '@tether/protocol';
import type { AllowedArgs, AllowlistEntry, AllowResult, ExecPolicy } from '@tether/node-agent';
import { action } from '../command-kit.js';
import { printJson, printTable, usageError } from '../output.js';

async function nodeAgent() {
  return import('@tether/node-agent');
}

function stateFlag(stateDirFlag: unknown): string {
  return stateDirFlag ? ` --state-dir ${shellQuote(String(stateDirFlag))}` : '';
}

const ALLOW_EXAMPLES = `
An entry binds the program name to the binary it resolves to: on busybox, "allow uname" allows
busybox only when run as uname, never as sh. Without --exact or --prefix an entry allows EVERY
argument, so a program that reads or writes files named in its arguments (date -f FILE, cat, cp)
can then read or write any file this node can.

Examples:
  tether node allow uname                      uname with any arguments
  tether node allow hostname --exact           hostname with no arguments only
  tether node allow df --exact -- -h           also "df -h" (each --exact adds one argument list)
  tether node allow git --prefix -- status     "git status …", nothing else
`;

/** The `args` restriction the flags ask for, or undefined for "every argument". Throws usage errors. */
export function allowedArgsFromFlags(flags: Record<string, unknown>, args: readonly string[], binary: string): AllowedArgs | undefined {
  if (flags.exact && flags.prefix) throw usageError('give --exact or --prefix, not both');
  if (flags.exact) return { exact: [[...args]] };
  if (flags.prefix) {
    if (args.length === 0) {
      throw usageError(
        `--prefix needs the leading arguments after -- (e.g. tether node allow git --prefix -- status); leave --prefix out to allow ${shellQuote(binary)} with every argument`,
      );
    }
    return { prefix: [...args] };
  }
  if (args.length > 0) {
    throw usageError(
      `arguments after the binary restrict the entry only with --exact or --prefix, e.g. tether node allow ${shellQuote(binary)} --exact -- ${args.map(shellQuote).join(' ')}`,
    );
  }
  return undefined;
}

/** One line for people: "uname (/usr/bin/busybox) with every argument". */
export function describeEntry(entry: AllowlistEntry, describeAllowedArgs: (entry: AllowlistEntry) => string): string {
  return `${shellQuote(entry.name)} (${shellQuote(entry.path)}) ${describeAllowedArgs(entry)}`;
}

const CHANGE_VERB: Record<AllowResult['change'], string> = {
  added: 'Allowed',
  extended: 'Allowed',
  widened: 'Allowed',
  unchanged: 'Already allowed:',
};

export function registerExecPolicyCommands(node: Command, stateDirHelp: string): void {
  node
    .command('allow <binary> [args...]')
    .description('let system.run start this program under this name (a path, or a name looked up on PATH); without --exact or --prefix every argument is allowed')
    .option('--exact', 'allow only the argument list given after -- (nothing after --: no arguments); run again to add more lists')
    .option('--prefix', 'allow only argument lists that start with the arguments given after --')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'print JSON')
    .addHelpText('after', ALLOW_EXAMPLES)
    .action(
      action(async (flags, binary: string, args: string[]) => {
        const restriction = allowedArgsFromFlags(flags, args ?? [], binary);
        const { allowBinary, describeAllowedArgs, resolveNodeStateDir, readExecPolicy } = await nodeAgent();
        const stateDir = resolveNodeStateDir(flags.stateDir);
        const result = await allowBinary(stateDir, binary, restriction ? { args: restriction } : {});
        const policy = readExecPolicy(stateDir);
        if (flags.json) return printJson({ allowed: result.entry, change: result.change, policy });
        const { entry } = result;
        const lines = [`${CHANGE_VERB[result.change]} ${describeEntry(entry, describeAllowedArgs)}${result.change === 'widened' ? ' (replacing its restricted entries)' : ''}`];
        if (basename(entry.path) !== entry.name) {
          lines.push(`Note: ${shellQuote(entry.name)} is ${shellQuote(entry.path)} under another name (a link or a multi-call binary); this entry lets it run only as ${shellQuote(entry.name)}.`);
        }
        if (entry.args === undefined) {
          lines.push(
            'Note: this entry allows every argument: whatever the program can do with its arguments (read or write files, run commands) any caller of system.run can do. ' +
              `To restrict it: tether node disallow ${shellQuote(entry.name)}${stateFlag(flags.stateDir)}, then tether node allow ${shellQuote(binary)} --exact [-- ARG...] or --prefix -- ARG...`,
          );
        }
        if (policy.security !== 'allowlist') {
          lines.push(`Note: security is "${policy.security}", so the allowlist is not consulted (tether node policy --security allowlist${stateFlag(flags.stateDir)}).`);
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );

  node
    .command('disallow <binary>')
    .description('remove every allowlist entry for this program under this name (a path, or a name looked up on PATH)')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'print JSON')
    .action(
      action(async (flags, binary: string) => {
        const { describeAllowedArgs, disallowBinary, resolveNodeStateDir, readExecPolicy } = await nodeAgent();
        const stateDir = resolveNodeStateDir(flags.stateDir);
        const removed = await disallowBinary(stateDir, binary);
        if (flags.json) return printJson({ removed, policy: readExecPolicy(stateDir) });
        for (const entry of removed) process.stdout.write(`Removed ${describeEntry(entry, describeAllowedArgs)}\n`);
      }),
    );

  node
    .command('policy')
    .description('show or change what system.run may start on this node')
    .option('--security <level>', 'deny | allowlist | full')
    .option('--ask <mode>', 'ask an operator before a run: off | on-miss (not covered by the allowlist) | always')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'print JSON')
    .action(
      action(async (flags) => {
        const { EXEC_ASK_MODES, EXEC_SECURITY_LEVELS, describeAllowedArgs, readExecPolicy, resolveNodeStateDir, setAsk, setSecurity } = await nodeAgent();
        const stateDir = resolveNodeStateDir(flags.stateDir);
        if (flags.security !== undefined) {
          const level = String(flags.security);
          if (!(EXEC_SECURITY_LEVELS as readonly string[]).includes(level)) {
            throw usageError(`--security must be one of ${EXEC_SECURITY_LEVELS.join(', ')}, got "${level}"`);
          }
          await setSecurity(stateDir, level as (typeof EXEC_SECURITY_LEVELS)[number]);
        }
        if (flags.ask !== undefined) {
          const ask = String(flags.ask);
          if (!(EXEC_ASK_MODES as readonly string[]).includes(ask)) throw usageError(`--ask must be one of ${EXEC_ASK_MODES.join(', ')}, got "${ask}"`);
          await setAsk(stateDir, ask as (typeof EXEC_ASK_MODES)[number]);
        }
        const policy = readExecPolicy(stateDir);
        if (flags.json) return printJson(policy);
        printPolicy(policy, describeAllowedArgs);
      }),
    );
}

function printPolicy(policy: ExecPolicy, describeAllowedArgs: (entry: AllowlistEntry) => string): void {
  process.stdout.write(`security: ${policy.security}\nask: ${policy.ask}\n`);
  if (policy.allowlist.length === 0) {
    process.stdout.write('allowlist: (empty)\n');
    return;
  }
  const consulted = policy.security === 'allowlist' ? '' : ` (not consulted while security is ${policy.security})`;
  process.stdout.write(`allowlist${consulted}: a run must match the name, the binary and the arguments of one entry\n`);
  printTable(
    ['  NAME', 'BINARY', 'ARGUMENTS'],
    policy.allowlist.map((entry) => [`  ${shellQuote(entry.name)}`, shellQuote(entry.path), describeAllowedArgs(entry).replace(/^with /, '')]),
  );
}

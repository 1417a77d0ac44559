/**
 * What a fresh `tether up` node may run without asking. Anyone holding `operator.write` on the
 * gateway (an agent tool, a paired operator device) can call system.run, and under `tether up` the
 * node runs as the gateway's user with its state inside the gateway's, so every entry must be unable
 * to read or write a file of the caller's choosing, run another program, or change the machine,
 * whatever arguments it is given. Where a program has such an option, the entry lists the exact
 * argument vectors that may run (see review finding 3: `date -f <file>` printed the owner token).
 */
import type { AllowedArgs } from '@tether/node-agent';

export interface StarterEntry {
  /** Looked up on the node's PATH; missing programs are skipped. */
  name: string;
  /** Missing: every argument (only for programs whose every option just prints). */
  args?: AllowedArgs;
}

export const STARTER_ALLOWLIST: readonly StarterEntry[] = [
  // GNU, BSD and busybox uname only print facts about the system: every option is a print flag
  // (-a -s -n -r -v -m -p -i -o, --help, --version) and operands are refused. Any arguments.
  { name: 'uname' },
  // procps uptime's options only print, but coreutils' `uptime FILE` parses FILE as a utmp file, and
  // builds differ: no arguments.
  { name: 'uptime', args: { exact: [[]] } },
  // `hostname NAME` renames the machine and `hostname -F FILE` reads FILE: no arguments, it only prints.
  { name: 'hostname', args: { exact: [[]] } },
  // `df FILE` opens FILE to find its file system (a FIFO blocks, a device such as /dev/watchdog acts
  // when opened): only the whole table, plain or with -h.
  { name: 'df', args: { exact: [[], ['-h']] } },
  // `date -f FILE` prints FILE's lines in its errors, `date -r FILE` shows a file's time, and
  // `date -s …` / `date MMDDhhmm` set the clock: only the current time, local or UTC.
  { name: 'date', args: { exact: [[], ['-u']] } },
];

/**
 * Several "hosts" on one machine, for tests of what crosses a real network: each host is a network
 * namespace with its own loopback and an `eth0` (10.77.0.N/24) plugged into a private bridge, the
 * "switch", which lives in a namespace of its own. Nothing here touches the root namespace's
 * interfaces: the veth pairs are created inside the switch namespace with one end placed directly in
 * the host, there is no default route anywhere, and the only routes are the /24 and 224.0.0.0/4
 * (multicast, for mDNS), both on the host's eth0. So no packet can leave the namespaces.
 *
 * Every namespace is held by a small "holder" process (`unshare … sh`, waiting on its stdin). The
 * namespaces live exactly as long as the processes inside them: when the holders and whatever the test
 * ran inside are gone, the kernel removes the namespaces and their veth pairs. The holders' stdin is a
 * pipe from the test process, so even a test runner killed with SIGKILL leaves no holder behind.
 *
 * Two modes, chosen by probing (see `probeNetns`):
 * - "rootless": `unshare -rn` makes a user namespace (the caller mapped to root inside) plus the switch's
 *   network namespace; hosts are `unshare -n` children inside that user namespace, entered with
 *   `nsenter -U -n --preserve-credentials`. Works for any user where user namespaces are allowed, and as
 *   root too (preferred: it needs no /run/netns and leaves nothing on the machine).
 * - "root": plain `unshare -n` and `nsenter -n`, for root where user namespaces are disabled.
 * TETHER_NETNS_MODE=root|rootless forces one of them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { runProcess, spawnProcess, TETHER_BIN, type CliResult, type Spawned } from '../helpers/processes.js';

export type NetnsMode = 'rootless' | 'root';
export type NetnsSupport = { ok: true; mode: NetnsMode } | { ok: false; reason: string };

const SUBNET = '10.77.0';
const PREFIX = 24;

let probed: NetnsSupport | undefined;

function run(command: string, args: string[], timeoutMs = 5_000): { code: number | null; out: string; missing: boolean } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  const out = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error && !missing ? String(result.error) : ''}`.trim();
  return { code: result.status, out, missing };
}

/**
 * Can this machine make the hosts, and how? Cached. The reason, when not, names the tool or the
 * kernel's answer, so a skipped test says exactly what is missing.
 */
export function probeNetns(): NetnsSupport {
  if (probed) return probed;
  probed = probe();
  return probed;
}

function probe(): NetnsSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  for (const [tool, pkg] of [['unshare', 'util-linux'], ['nsenter', 'util-linux'], ['ip', 'iproute2']] as const) {
    if (run(tool, ['--version']).missing) return { ok: false, reason: `\`${tool}\` is not installed (Debian package ${pkg})` };
  }
  // What a host needs, in miniature: a bridge and a veth pair in a new namespace, and a nested one.
  const script = 'ip link set lo up && ip link add tt-probe-br type bridge && ip link add tt-probe-v type veth peer name tt-probe-p && unshare -n true';
  // TETHER_NETNS_MODE=root|rootless tries only that mode (to exercise both on one machine).
  const forced = process.env.TETHER_NETNS_MODE;
  if (forced !== undefined && forced !== 'root' && forced !== 'rootless') return { ok: false, reason: `TETHER_NETNS_MODE must be root or rootless, got "${forced}"` };
  const rootless = forced === 'root' ? { code: 1, out: 'not tried (TETHER_NETNS_MODE=root)' } : run('unshare', ['-rn', 'sh', '-c', script]);
  if (rootless.code === 0) return { ok: true, mode: 'rootless' };
  const isRoot = process.getuid?.() === 0;
  if (forced === 'rootless') return { ok: false, reason: `TETHER_NETNS_MODE=rootless, and \`unshare -rn\` said "${rootless.out || `exit ${rootless.code}`}"` };
  if (forced === 'root' && !isRoot) return { ok: false, reason: `TETHER_NETNS_MODE=root, but this process runs as uid ${process.getuid?.()}` };
  if (isRoot) {
    const root = run('unshare', ['-n', 'sh', '-c', script]);
    if (root.code === 0) return { ok: true, mode: 'root' };
    return { ok: false, reason: `cannot make network namespaces even as root: \`unshare -rn\` said "${rootless.out}", \`unshare -n\` said "${root.out}"` };
  }
  let hint = '';
  try {
    const max = run('cat', ['/proc/sys/user/max_user_namespaces']).out;
    if (max === '0') hint = ' (user.max_user_namespaces is 0)';
    const apparmor = run('cat', ['/proc/sys/kernel/apparmor_restrict_unprivileged_userns']).out;
    if (apparmor === '1') hint += ' (kernel.apparmor_restrict_unprivileged_userns is 1)';
    const clone = run('cat', ['/proc/sys/kernel/unprivileged_userns_clone']).out;
    if (clone === '0') hint += ' (kernel.unprivileged_userns_clone is 0)';
  } catch {
    // The hints are optional.
  }
  return { ok: false, reason: `not root, and user namespaces are not available: \`unshare -rn\` said "${rootless.out || `exit ${rootless.code}`}"${hint}` };
}

/**
 * For a test file: probes, prints why the tests will be skipped when namespaces cannot be made, and
 * returns the result for `describe.skipIf(!support.ok)`. With TETHER_NETNS_REQUIRED=1 (for a CI that
 * must run them) an unavailable machine is an error instead of a skip.
 */
export function netnsForTests(what: string): NetnsSupport {
  const support = probeNetns();
  if (!support.ok) {
    if (process.env.TETHER_NETNS_REQUIRED === '1') throw new Error(`[netns] TETHER_NETNS_REQUIRED=1, but ${what} cannot run: ${support.reason}`);
    console.warn(`[netns] skipping ${what}: ${support.reason}`);
  }
  return support;
}

interface Holder {
  child: ChildProcess;
  pid: number;
  /** `net:[inode]`, to find every process still inside at teardown. */
  netns: string;
  output: () => string;
}

/** Starts `command` (which ends by printing "ready" and waiting on stdin) and waits for "ready". */
function startHolder(command: string, args: string[], what: string): Promise<Holder> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${what}: no "ready" within 5 s; output: ${output}`)), 5_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/^ready$/m.test(output)) {
        clearTimeout(timer);
        let netns = '';
        try {
          netns = readlinkSync(`/proc/${child.pid}/ns/net`);
        } catch (error) {
          return fail(new Error(`${what}: cannot read its namespace: ${String(error)}`));
        }
        resolve({ child, pid: child.pid!, netns, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (error) => fail(new Error(`${what}: ${error.message}`)));
    child.on('exit', (code) => fail(new Error(`${what}: exited ${code} before it was ready; output: ${output}`)));
  });
}

export interface Host {
  /** "a", "b", … */
  readonly name: string;
  /** 1-based: the host's address is 10.77.0.<index>. */
  readonly index: number;
  readonly ip: string;
  /** The interface on the LAN, inside the host. */
  readonly iface: 'eth0';
  /** The holder's pid: `nsenter -t <pid>` enters the host. */
  readonly pid: number;
  /** The argv prefix that runs a program inside this host: `[...host.enter(), cmd, ...args]`. */
  enter(): string[];
  /** A long-running program inside the host, watched and ended by test/helpers/processes.ts's cleanup. */
  spawn(command: string, args: string[], env?: NodeJS.ProcessEnv): Spawned;
  /** A program inside the host, to completion. */
  run(command: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<CliResult>;
  /** The built CLI, long-running, inside the host. */
  spawnTether(args: string[], env?: NodeJS.ProcessEnv): Spawned;
  /** The built CLI, to completion, inside the host. */
  runTether(args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<CliResult>;
  runTetherJson<T>(args: string[], env?: NodeJS.ProcessEnv): Promise<T>;
}

export interface Lan {
  readonly mode: NetnsMode;
  readonly hosts: Host[];
  host(name: string): Host;
  /** Unplugs the host's cable at the switch (its eth0 loses carrier, its address stays). */
  cut(host: Host): Promise<void>;
  /** Plugs it back in. */
  restore(host: Host): Promise<void>;
  /** `up` or `down`: the switch port's administrative state. */
  linkState(host: Host): Promise<'up' | 'down'>;
  /** Bytes through the host's switch port, as the switch counts them (rx: sent by the host). */
  portStats(host: Host): Promise<{ rxBytes: number; txBytes: number }>;
  /** A command in the switch's namespace (e.g. `bridge link`, `ip -s link`); never in the root one. */
  runOnSwitch(script: string): Promise<CliResult>;
  /**
   * Ends the holders and anything still inside the hosts, then checks the kernel removed everything:
   * no process left in any of the namespaces, no new interface in the caller's namespace. Throws
   * with what was left, after killing it.
   */
  close(): Promise<void>;
}

export interface LanOptions {
  /** How many hosts (named a, b, c, …), or their names. */
  hosts: number | string[];
  /** Add 224.0.0.0/4 via eth0 in each host so multicast (mDNS) needs no per-socket interface. Default true. */
  multicastRoute?: boolean;
}

function linkNames(): string[] {
  const result = run('ip', ['-o', 'link', 'show']);
  return result.out
    .split('\n')
    .map((line) => line.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter(Boolean)
    .sort();
}

/** Processes (other than `except`) whose network namespace is one of `namespaces`. */
function processesIn(namespaces: Set<string>): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (namespaces.has(readlinkSync(`/proc/${entry}/ns/net`))) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** Makes the LAN: a switch namespace with a bridge, and `options.hosts` hosts plugged into it. */
export async function createLan(options: LanOptions): Promise<Lan> {
  const support = probeNetns();
  if (!support.ok) throw new Error(`cannot make network namespaces: ${support.reason}`);
  const mode = support.mode;
  const names = typeof options.hosts === 'number' ? Array.from({ length: options.hosts }, (_, i) => String.fromCharCode(97 + i)) : options.hosts;
  if (names.length < 1 || names.length > 200) throw new Error('between 1 and 200 hosts');
  const multicastRoute = options.multicastRoute ?? true;
  const rootLinksBefore = linkNames();

  const holders: Holder[] = [];
  const enterArgs = (pid: number) => (mode === 'rootless' ? ['-t', String(pid), '-U', '-n', '--preserve-credentials', '--'] : ['-t', String(pid), '-n', '--']);
  const sh = async (pid: number, script: string, what: string) => {
    const result = await runProcess('nsenter', [...enterArgs(pid), 'sh', '-ec', script], {}, 10_000);
    if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}): ${result.stdout}${result.stderr}\nscript: ${script}`);
    return result;
  };
  const wait = 'echo ready; read _ || true';

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    const namespaces = new Set(holders.map((h) => h.netns));
    await Promise.all(
      holders.map(
        (h) =>
          new Promise<void>((resolve) => {
            if (h.child.exitCode !== null || h.child.signalCode !== null) return resolve();
            h.child.once('exit', () => resolve());
            h.child.kill('SIGKILL');
          }),
      ),
    );
    // Anything a test ran inside and did not end keeps its namespace alive: end it, and say so.
    const stragglers = processesIn(namespaces);
    for (const pid of stragglers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    const deadline = Date.now() + 3_000;
    while (processesIn(namespaces).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const still = processesIn(namespaces);
    const newLinks = linkNames().filter((name) => !rootLinksBefore.includes(name));
    const problems: string[] = [];
    if (stragglers.length > 0) problems.push(`${stragglers.length} process(es) were still inside the hosts and had to be killed: ${stragglers.join(', ')}`);
    if (still.length > 0) problems.push(`process(es) ${still.join(', ')} are still inside the hosts`);
    if (newLinks.length > 0) problems.push(`new interface(s) in the caller's namespace: ${newLinks.join(', ')}`);
    if (problems.length > 0) throw new Error(`netns teardown: ${problems.join('; ')}`);
  };

  try {
    const switchArgs = mode === 'rootless' ? ['-rn'] : ['-n'];
    const lanHolder = await startHolder('unshare', [...switchArgs, 'sh', '-ec', `ip link set lo up; ip link add br0 type bridge; ip link set br0 up; ${wait}`], 'the switch namespace');
    holders.push(lanHolder);
    const hosts: Host[] = [];
    for (const [i, name] of names.entries()) {
      const index = i + 1;
      const ip = `${SUBNET}.${index}`;
      const holder = await startHolder('nsenter', [...enterArgs(lanHolder.pid), 'unshare', '-n', 'sh', '-ec', `ip link set lo up; ${wait}`], `host ${name}`);
      holders.push(holder);
      // Both ends are made inside the switch's namespace, one placed straight into the host.
      await sh(lanHolder.pid, `ip link add eth0 netns ${holder.pid} type veth peer name port-${index}; ip link set port-${index} master br0; ip link set port-${index} up`, `plugging host ${name}`);
      await sh(holder.pid, hostUp(ip, multicastRoute), `configuring host ${name}`);
      const enter = () => ['nsenter', ...enterArgs(holder.pid)];
      const host: Host = {
        name,
        index,
        ip,
        iface: 'eth0',
        pid: holder.pid,
        enter,
        spawn: (command, args, env = {}) => {
          const [nsenter, ...prefix] = enter();
          return spawnProcess(nsenter!, [...prefix, command, ...args], env);
        },
        run: (command, args, env = {}, timeoutMs) => {
          const [nsenter, ...prefix] = enter();
          return runProcess(nsenter!, [...prefix, command, ...args], env, timeoutMs);
        },
        spawnTether: (args, env) => host.spawn(process.execPath, [TETHER_BIN, ...args], env),
        runTether: (args, env, timeoutMs) => host.run(process.execPath, [TETHER_BIN, ...args], env, timeoutMs),
        runTetherJson: async <T>(args: string[], env?: NodeJS.ProcessEnv) => {
          const result = await host.runTether([...args, '--json'], env);
          if (result.code !== 0) throw new Error(`tether ${args.join(' ')} (in host ${name}) exited ${result.code}: ${result.stdout}${result.stderr}`);
          return JSON.parse(result.stdout) as T;
        },
      };
      hosts.push(host);
    }
    const port = (host: Host) => `port-${host.index}`;
    return {
      mode,
      hosts,
      host: (name) => {
        const found = hosts.find((h) => h.name === name);
        if (!found) throw new Error(`no host ${name} (hosts: ${hosts.map((h) => h.name).join(', ')})`);
        return found;
      },
      cut: async (host) => void (await sh(lanHolder.pid, `ip link set ${port(host)} down`, `cutting host ${host.name}`)),
      restore: async (host) => void (await sh(lanHolder.pid, `ip link set ${port(host)} up`, `restoring host ${host.name}`)),
      linkState: async (host) => {
        const result = await sh(lanHolder.pid, `ip -o link show ${port(host)}`, `reading host ${host.name}'s port`);
        return /[<,]UP[,>]/.test(result.stdout) ? 'up' : 'down';
      },
      portStats: async (host) => {
        // `ip -s`, not /sys/class/net: sysfs shows the namespace it was mounted in, which is not the switch's.
        const result = await sh(lanHolder.pid, `ip -s -j link show ${port(host)}`, `reading host ${host.name}'s port counters`);
        const [link] = JSON.parse(result.stdout) as { stats64: { rx: { bytes: number }; tx: { bytes: number } } }[];
        return { rxBytes: link!.stats64.rx.bytes, txBytes: link!.stats64.tx.bytes };
      },
      runOnSwitch: (script) => runProcess('nsenter', [...enterArgs(lanHolder.pid), 'sh', '-c', script], {}, 10_000),
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

function hostUp(ip: string, multicastRoute: boolean): string {
  const lines = [`ip addr add ${ip}/${PREFIX} dev eth0`, 'ip link set eth0 up'];
  if (multicastRoute) lines.push('ip route add 224.0.0.0/4 dev eth0');
  return lines.join('; ');
}

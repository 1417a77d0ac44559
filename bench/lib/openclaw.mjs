// Processes for the Tether-vs-OpenClaw comparison: the real OpenClaw 2026.9.6 gateway, node host and
// CLI (installed for the interop suite in ~/.cache/tether-interop), and the Tether gateway. Each
// program runs in a process group of its own, because OpenClaw starts helper processes; exactly the
// groups started here are ended, by their leader's pid, at the end, on error and on SIGINT.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { peerPaths } from '../../test/interop/install-peer.mjs';
import { loopbackGatewayConfig, offlineConfig, randomHexToken, writeOpenclawHome } from '../../test/interop/peer-config.mjs';
// Temp dirs come from procs.mjs, which removes them all when the run ends.
import { makeTempDir } from './procs.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const TETHER_BIN = join(ROOT, 'cli/bin/tether.js');
export const OPENCLAW_VERSION = '2026.9.6';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Paths of Node 24 and openclaw.mjs; throws with the way to install them when they are missing. */
export function openclawPeer() {
  const paths = peerPaths();
  const openclaw = paths.openclaw[OPENCLAW_VERSION];
  if (!existsSync(paths.node24) || !existsSync(openclaw)) {
    throw new Error(
      `OpenClaw ${OPENCLAW_VERSION} is not installed (looked for ${paths.node24} and ${openclaw}).\n` +
        'Install the interop peer first: `node test/interop/install-peer.mjs` (or run `npm run test:interop` once).',
    );
  }
  return { node24: paths.node24, openclaw };
}

// ---------------------------------------------------------------------------------------------
// Process groups

const groups = new Map(); // leader pid → { name, child }

/** The parent's environment without test-runner, Tether or OpenClaw variables, plus `extra`. */
function cleanEnv(extra) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('VITEST') || key.startsWith('TETHER_') || key.startsWith('OPENCLAW_') || key === 'NODE_ENV' || key === 'TEST') delete env[key];
  }
  return { ...env, ...extra };
}

/**
 * Spawns `command` as the leader of a new process group. Output is kept (last 64 KB) for error
 * messages and `waitFor`.
 */
export function spawnGroup(name, command, args, { env = {}, stdout = 'pipe' } = {}) {
  const child = spawn(command, args, { env: cleanEnv(env), stdio: ['ignore', stdout, 'pipe'], detached: true });
  if (child.pid === undefined) throw new Error(`${name}: could not spawn ${command}`);
  const proc = { name, child, pid: child.pid, spawnedAt: process.hrtime.bigint(), log: '', watchers: new Set() };
  groups.set(child.pid, proc);
  const onData = (chunk) => {
    proc.log = (proc.log + chunk).slice(-65_536);
    for (const watcher of proc.watchers) watcher();
  };
  child.stdout?.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout?.on('data', onData);
  child.stderr.on('data', onData);
  proc.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return proc;
}

/** Milliseconds since the process was spawned. */
export function sinceSpawn(proc) {
  return Number(process.hrtime.bigint() - proc.spawnedAt) / 1e6;
}

function groupAlive(pgid) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgrp === pgid) return true;
  }
  return false;
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone.
  }
}

/** SIGTERM to the whole group, SIGKILL after `graceMs`, then makes sure no member is left. */
export async function stopGroup(proc, graceMs = 5_000) {
  if (!proc || !groups.has(proc.pid)) return;
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    signalGroup(proc.pid, 'SIGTERM');
    await Promise.race([proc.exited, sleep(graceMs)]);
  }
  // Helpers of a leader that has exited may still be running in its group.
  if (groupAlive(proc.pid)) signalGroup(proc.pid, 'SIGKILL');
  for (let i = 0; i < 50 && groupAlive(proc.pid); i++) await sleep(100);
  groups.delete(proc.pid);
}

export async function stopAllGroups() {
  await Promise.all([...groups.values()].map((proc) => stopGroup(proc)));
}

// Last resort when the run dies or is interrupted before stopAllGroups(): kill exactly our groups.
process.on('exit', () => {
  for (const pid of groups.keys()) signalGroup(pid, 'SIGKILL');
});

/** Resolves as soon as `pattern` shows up in the process's output (checked on every chunk, so timings stay exact). */
export function waitForOutput(proc, pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    const finish = (error, match) => {
      clearTimeout(timer);
      proc.watchers.delete(check);
      proc.child.off('exit', onExit);
      if (error) reject(error);
      else resolve(match);
    };
    const check = () => {
      const match = proc.log.match(pattern);
      if (match) finish(undefined, match);
    };
    const onExit = (code, signal) => finish(new Error(`${proc.name} exited early (${code ?? signal}):\n${proc.log.slice(-4000)}`));
    const timer = setTimeout(() => finish(new Error(`${proc.name}: ${pattern} not seen within ${timeoutMs} ms:\n${proc.log.slice(-4000)}`)), timeoutMs);
    proc.watchers.add(check);
    proc.child.once('exit', onExit);
    check();
  });
}

// ---------------------------------------------------------------------------------------------
// /proc: a process tree's RSS and CPU

function readStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command name: state ppid pgrp session … utime(11) stime(12)
    return { pid, ppid: Number(fields[1]), pgrp: Number(fields[2]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // exited meanwhile
  }
}

/** `pid` and all its descendants that are alive now. */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    if (!children.has(stat.ppid)) children.set(stat.ppid, []);
    children.get(stat.ppid).push(stat.pid);
  }
  const tree = [];
  const queue = [pid];
  while (queue.length > 0 && tree.length < 10_000) {
    const next = queue.shift();
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

function readKb(file, key) {
  try {
    return Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * RSS summed over the process tree (what `ps` would add up), plus PSS (shared pages split between
 * the processes sharing them, so it does not count shared libraries twice) and the processes seen.
 */
export function treeMemory(pid) {
  const processes = [];
  let rssKb = 0;
  let pssKb = 0;
  for (const member of processTree(pid)) {
    const rss = readKb(`/proc/${member}/status`, 'VmRSS');
    const pss = readKb(`/proc/${member}/smaps_rollup`, 'Pss');
    let command = '';
    try {
      command = readFileSync(`/proc/${member}/cmdline`, 'utf8').split('\0').filter(Boolean).map((part) => part.split('/').slice(-2).join('/')).join(' ').slice(0, 100);
    } catch {
      // exited meanwhile
    }
    rssKb += rss;
    pssKb += pss;
    processes.push({ pid: member, rssMb: Math.round(rss / 102.4) / 10, command });
  }
  return { rssMb: Math.round(rssKb / 102.4) / 10, pssMb: Math.round(pssKb / 102.4) / 10, processes };
}

const CLOCK_TICKS = 100; // USER_HZ

/** User + system CPU of the live process tree so far, in ms. */
export function treeCpuMs(pid) {
  let ticks = 0;
  for (const member of processTree(pid)) ticks += readStat(member)?.cpuTicks ?? 0;
  return (ticks * 1000) / CLOCK_TICKS;
}

// ---------------------------------------------------------------------------------------------
// Network helpers

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function tcpAccepts(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function readyz(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
    return response.ok && (await response.json()).ready === true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// OpenClaw

/** A fresh OpenClaw state dir with its config file, and the environment that selects it. */
export function openclawHome(peer, prefix, config = {}) {
  const stateDir = makeTempDir(prefix);
  return { stateDir, env: writeOpenclawHome(stateDir, offlineConfig(config), peer.node24) };
}

/**
 * `openclaw gateway run` on loopback with token auth and local auto-approval off, as the interop
 * suite starts it. Resolves once `GET /readyz` says ready; also times spawn → first TCP accept.
 */
export async function startOpenclawGateway(peer, { timeoutMs = 180_000 } = {}) {
  const port = await freePort();
  const token = randomHexToken();
  const home = openclawHome(peer, 'oc-gw', loopbackGatewayConfig(port, token));
  const proc = spawnGroup('openclaw gateway', peer.node24, [peer.openclaw, 'gateway', 'run', '--port', String(port), '--bind', 'loopback', '--auth', 'token'], { env: home.env });
  const deadline = Date.now() + timeoutMs;
  let tcpMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`openclaw gateway exited early (${proc.child.exitCode}):\n${proc.log.slice(-4000)}`);
    if (tcpMs === undefined) {
      if (await tcpAccepts(port)) tcpMs = sinceSpawn(proc);
    }
    if (tcpMs !== undefined && (await readyz(port))) {
      return { kind: 'openclaw', proc, pid: proc.pid, port, url: `ws://127.0.0.1:${port}`, token, home, tcpMs, readyMs: sinceSpawn(proc) };
    }
    await sleep(100);
  }
  throw new Error(`openclaw gateway not ready within ${timeoutMs} ms:\n${proc.log.slice(-4000)}`);
}

/** `openclaw node run` against a gateway on 127.0.0.1. `home` is reused across restarts so its identity stays. */
export function startOpenclawNodeHost(peer, port, token, home) {
  const nodeHome = home ?? openclawHome(peer, 'oc-node', { nodeHost: { browserProxy: { enabled: false } } });
  const proc = spawnGroup(
    'openclaw node host',
    peer.node24,
    [peer.openclaw, 'node', 'run', '--host', '127.0.0.1', '--port', String(port), '--display-name', 'bench-node'],
    // The node host takes the shared gateway token only from its environment or config.
    { env: { ...nodeHome.env, OPENCLAW_GATEWAY_TOKEN: token } },
  );
  return { proc, pid: proc.pid, home: nodeHome };
}

/** One `openclaw …` CLI call (its own process group, ended on timeout). Resolves with code and output. */
export async function runOpenclaw(peer, home, args, timeoutMs = 60_000) {
  const proc = spawnGroup(`openclaw ${args.slice(0, 2).join(' ')}`, peer.node24, [peer.openclaw, ...args], { env: home.env });
  let stdout = '';
  proc.child.stdout.on('data', (chunk) => (stdout += chunk));
  const code = await Promise.race([proc.exited, sleep(timeoutMs).then(() => 'timeout')]);
  await stopGroup(proc, 1_000);
  return { code, stdout, output: proc.log };
}

// ---------------------------------------------------------------------------------------------
// Tether

/** `tether gateway run --port 0`; resolves on its `{"event":"listening"}` stdout line. */
export async function startTetherGateway({ node = process.execPath, timeoutMs = 15_000 } = {}) {
  const stateDir = makeTempDir('oc-gw');
  mkdirSync(stateDir, { recursive: true });
  const proc = spawnGroup('tether gateway', node, [TETHER_BIN, 'gateway', 'run', '--port', '0', '--state-dir', stateDir]);
  const match = await waitForOutput(proc, /\{"event":"listening"[^\n]*\}/, timeoutMs);
  const readyMs = sinceSpawn(proc);
  const ready = JSON.parse(match[0]);
  const token = readFileSync(join(stateDir, 'gateway.token'), 'utf8').trim();
  return { kind: 'tether', proc, pid: proc.pid, port: ready.port, url: ready.url, token, stateDir, readyMs };
}

// Interrupted: exit, so that the 'exit' handler above ends our groups.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

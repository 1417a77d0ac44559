// Child processes for the benchmark: the gateway and the node-agent, started from the built bins on
// 127.0.0.1 with temporary state directories. Every pid we start is tracked so that exactly those
// processes (and nothing else) are stopped, even when the benchmark fails half-way.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const GATEWAY_BIN = join(ROOT, 'cli/bin/tether.js');
const NODE_BIN = join(ROOT, 'node-agent/bin/tether-node.js');

const started = new Map(); // pid → ChildProcess
const tempDirs = new Set();

export function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `tether-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

function track(child) {
  started.set(child.pid, child);
  child.once('exit', () => started.delete(child.pid));
  return child;
}

/** Resolves with the first line matching `test` on the given stream, or rejects after `timeoutMs`. */
function waitForLine(child, stream, test, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let log = '';
    const timer = setTimeout(() => finish(new Error(`${what}: no ready line within ${timeoutMs} ms\n${log}`)), timeoutMs);
    const onData = (chunk) => {
      buffer += chunk;
      log = (log + chunk).slice(-4000);
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const match = test(line);
        if (match) return finish(undefined, match);
      }
    };
    const onExit = (code, signal) => finish(new Error(`${what} exited early (${code ?? signal})\n${log}`));
    function finish(error, value) {
      clearTimeout(timer);
      stream.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value);
    }
    stream.setEncoding('utf8');
    stream.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Starts `tether gateway run --port 0` and measures spawn → the `listening` line (wall clock).
 * stderr is kept in a ring buffer for error messages and otherwise discarded. `config`, when given,
 * is written as `<stateDir>/tether.json` first, and the agent's environment variables are not passed
 * on (they would win over the file).
 */
export async function startGateway({ nodeArgs = [], timeoutMs = 15_000, config } = {}) {
  const stateDir = makeTempDir('gw');
  let env = process.env;
  if (config) {
    writeFileSync(join(stateDir, 'tether.json'), JSON.stringify(config));
    env = { ...process.env };
    for (const key of ['TETHER_AGENT_MODEL', 'TETHER_AGENT_BASE_URL', 'OPENAI_API_KEY']) delete env[key];
  }
  const t0 = process.hrtime.bigint();
  const child = track(
    spawn(process.execPath, [...nodeArgs, GATEWAY_BIN, 'gateway', 'run', '--port', '0', '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    }),
  );
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => (stderrTail = (stderrTail + chunk).slice(-4000)));
  const ready = await waitForLine(
    child,
    child.stdout,
    (line) => {
      try {
        const event = JSON.parse(line);
        return event.event === 'listening' ? event : undefined;
      } catch {
        return undefined;
      }
    },
    timeoutMs,
    'gateway',
  ).catch((error) => {
    error.message += stderrTail;
    throw error;
  });
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
  child.stdout.resume();
  const token = readFileSync(join(stateDir, 'gateway.token'), 'utf8').trim();
  return { child, pid: child.pid, url: ready.url, port: ready.port, stateDir, token, startMs, stderrTail: () => stderrTail };
}

/**
 * Starts the node-agent against `url`; resolves once it logs `[node] connected to …`. `token` is the
 * gateway's shared token: a node on the gateway's host pairs silently only with it.
 */
export async function startNodeAgent(url, { nodeArgs = [], timeoutMs = 15_000, token } = {}) {
  const stateDir = makeTempDir('node');
  const t0 = process.hrtime.bigint();
  const child = track(
    spawn(process.execPath, [...nodeArgs, NODE_BIN, '--url', url, '--state-dir', stateDir, '--display-name', 'bench-node'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: token ? { ...process.env, TETHER_GATEWAY_TOKEN: token } : process.env,
    }),
  );
  await waitForLine(child, child.stderr, (line) => line.includes('[node] connected to'), timeoutMs, 'node-agent');
  const connectMs = Number(process.hrtime.bigint() - t0) / 1e6;
  child.stderr.resume();
  return { child, pid: child.pid, stateDir, connectMs };
}

/** SIGTERM, then SIGKILL after `graceMs`. Only for a process this module started. */
export async function stopProcess(proc, graceMs = 3_000) {
  const child = proc?.child ?? proc;
  if (!child || !started.has(child.pid)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => started.has(child.pid) && child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...started.values()].map((child) => stopProcess(child)));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Last resort if the benchmark dies or is interrupted without reaching stopAll(): kill exactly our children.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
process.on('exit', () => {
  for (const [pid, child] of started) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    started.delete(pid);
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** VmRSS and VmHWM (peak) of a process, in MB. */
export function readRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

const CLOCK_TICKS = 100; // USER_HZ on Linux; /proc/<pid>/stat times are in these units.

/** User + system CPU time of a process so far, in ms. */
export function readCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS; // utime, stime
}

/** Busy and total CPU time of the whole machine so far, in ms summed over all cores. */
export function readMachineCpuMs() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
  return { busyMs: ((total - idle) * 1000) / CLOCK_TICKS, totalMs: (total * 1000) / CLOCK_TICKS };
}

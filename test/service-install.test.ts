/**
 * `tether gateway|node install|uninstall|status` end to end, against a temporary unit directory and
 * fake systemctl / loginctl / id / useradd / chown on PATH (the real systemd cannot run in a container).
 * The fakes record every call and reject verbs the real tools do not have, so a typo fails here.
 * `tether node install --pair` redeems a real setup code against a real gateway.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceSetupCreateResult } from '@tether/protocol';
import { cleanup, ROOT, runProcess, runTether, runTetherJson, startGatewayProcess, tempDir } from './helpers/processes.js';

afterAll(cleanup);

const FAKE_SYSTEMCTL = `#!/bin/sh
echo "systemctl $*" >> "$FAKE_LOG"
if [ "$1" = "--version" ]; then echo "systemd 252 (252.39-1~deb12u2)"; exit 0; fi
if [ "$FAKE_SYSTEMD" = "down" ]; then
  echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2
  echo "Failed to connect to bus: Host is down" >&2
  exit 1
fi
[ "$1" = "--user" ] && shift
case "$1" in
  daemon-reload|enable|disable|restart|start|stop|status) exit 0 ;;
  is-enabled) echo enabled ;;
  is-active) echo active ;;
  *) echo "Unknown command verb '$1'." >&2; exit 1 ;;
esac
`;
const FAKE_LOGINCTL = `#!/bin/sh
echo "loginctl $*" >> "$FAKE_LOG"
case "$1" in
  show-user) echo "Linger=\${FAKE_LINGER:-no}" ;;
  enable-linger) exit 0 ;;
  *) echo "Unknown command verb '$1'." >&2; exit 1 ;;
esac
`;
const FAKE_RECORD = (name: string, exitCode: number) => `#!/bin/sh\necho "${name} $*" >> "$FAKE_LOG"\nexit ${exitCode}\n`;

let bin: string;
let log: string;
let units: string;
let state: string;

function fakeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: `${bin}:${process.env.PATH ?? ''}`, FAKE_LOG: log, USER: 'ada', ...extra };
}
const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []).filter((line) => !line.startsWith('systemctl --version'));

beforeEach(() => {
  const root = tempDir('tether svc e2e ');
  bin = join(root, 'bin');
  mkdirSync(bin);
  for (const [name, text] of [['systemctl', FAKE_SYSTEMCTL], ['loginctl', FAKE_LOGINCTL], ['id', FAKE_RECORD('id', 1)], ['useradd', FAKE_RECORD('useradd', 0)], ['chown', FAKE_RECORD('chown', 0)]] as const) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  log = join(root, 'calls.log');
  units = join(root, 'units dir');
  state = join(root, 'state 100% $dir');
});

/** A copy of this Node.js and of the built CLI outside any home directory (made once). */
let systemWide: { node: string; entry: string } | undefined;
function systemWideTether(): { node: string; entry: string } {
  if (systemWide) return systemWide;
  const root = tempDir('tether-system-wide-');
  cpSync(process.execPath, join(root, 'node'));
  chmodSync(join(root, 'node'), 0o755);
  for (const dir of ['bin', 'bundle']) cpSync(join(ROOT, 'cli', dir), join(root, 'cli', dir), { recursive: true });
  systemWide = { node: join(root, 'node'), entry: join(root, 'cli', 'bin', 'tether.js') };
  return systemWide;
}

describe('tether gateway install', () => {
  it('writes the user unit, reloads, enables and starts it, and prints the linger hint, status and logs', async () => {
    const result = await runTether(['gateway', 'install', '--unit-dir', units, '--state-dir', state], fakeEnv());
    expect(result.code, result.stderr).toBe(0);
    const unit = readFileSync(join(units, 'tether-gateway.service'), 'utf8');
    expect(unit).toContain('tether-managed-service');
    expect(unit).toContain('"--state-dir" "' + state.split('%').join('%%').split('$').join('$$') + '"');
    expect(calls()).toEqual(['systemctl --user daemon-reload', 'systemctl --user enable --now tether-gateway', 'loginctl show-user ada -p Linger']);
    expect(result.stdout).toContain('Started and enabled at boot');
    expect(result.stdout).toContain('sudo loginctl enable-linger ada');
    expect(result.stdout).toContain('systemctl --user status tether-gateway');
    expect(result.stdout).toContain('journalctl --user -u tether-gateway -f');
  });

  it('no linger hint when lingering is on; a second install with the same flags leaves the file unchanged', async () => {
    await runTether(['gateway', 'install', '--unit-dir', units, '--state-dir', state], fakeEnv({ FAKE_LINGER: 'yes' }));
    const again = await runTetherJson<{ file: string; hints: string[] }>(['gateway', 'install', '--unit-dir', units, '--state-dir', state], fakeEnv({ FAKE_LINGER: 'yes' }));
    expect(again.file).toBe('unchanged');
    expect(again.hints).toEqual([]);
  });

  it('without a running systemd it still writes the unit, says it could not start it, gives the commands and exits 1', async () => {
    const result = await runTether(['gateway', 'install', '--unit-dir', units, '--state-dir', state], fakeEnv({ FAKE_SYSTEMD: 'down' }));
    expect(result.code).toBe(1);
    expect(existsSync(join(units, 'tether-gateway.service'))).toBe(true);
    expect(result.stdout).toContain('NOT started: systemctl could not reach a running service manager');
    expect(result.stdout).toContain('  systemctl --user daemon-reload\n  systemctl --user enable --now tether-gateway');
    const json = JSON.parse((await runTether(['gateway', 'install', '--unit-dir', units, '--state-dir', state, '--json'], fakeEnv({ FAKE_SYSTEMD: 'down' }))).stdout);
    expect(json).toMatchObject({ ok: true, started: false, todo: ['systemctl --user daemon-reload', 'systemctl --user enable --now tether-gateway'] });
  });

  it('--system writes the hardened unit, creates the tether user (as root) or prints how', async () => {
    // A system unit refuses a Node.js or tether under /home or /root, and the ones running this test
    // may be there (CI's Node 24 is in ~/.cache): run copies installed system-wide, as a person would.
    const installed = systemWideTether();
    const run = await runProcess(installed.node, [installed.entry, 'gateway', 'install', '--system', '--unit-dir', units, '--json'], fakeEnv());
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { todo: string[]; steps: { command: string }[] };
    const unit = readFileSync(join(units, 'tether-gateway.service'), 'utf8');
    expect(unit).toContain('StateDirectory=tether');
    expect(unit).toContain('ProtectSystem=strict');
    const useradd = 'useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin tether';
    if (process.getuid?.() === 0) expect(calls()).toContain(useradd);
    else expect(result.todo).toContain(`sudo ${useradd}`);
    expect(calls()).toContain('systemctl enable --now tether-gateway');
  });

  it('--no-start writes the file only and exits 0', async () => {
    const result = await runTether(['gateway', 'install', '--no-start', '--unit-dir', units, '--state-dir', state], fakeEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(units, 'tether-gateway.service'))).toBe(true);
    expect(calls().filter((line) => line.startsWith('systemctl'))).toEqual([]);
    expect(result.stdout).toContain('NOT started: you asked for --no-start');
  });

  it('refuses a state dir with a newline, writing nothing', async () => {
    const result = await runTether(['gateway', 'install', '--unit-dir', units, '--state-dir', '/tmp/a\nExecStartPre=/bin/sh'], fakeEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/control character/);
    expect(existsSync(units)).toBe(false);
    expect(calls()).toEqual([]);
  });
});

describe('tether gateway uninstall and status --service', () => {
  it('status says not installed, then installed/enabled/active; uninstall stops, disables, removes, keeps the state dir', async () => {
    const before = await runTether(['gateway', 'status', '--service', '--unit-dir', units, '--json'], fakeEnv());
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout)).toMatchObject({ installed: false });
    await runTether(['gateway', 'install', '--unit-dir', units, '--state-dir', state], fakeEnv());
    mkdirSync(state, { recursive: true });
    const status = await runTetherJson<Record<string, unknown>>(['gateway', 'status', '--service', '--unit-dir', units], fakeEnv());
    expect(status).toMatchObject({ installed: true, managedByTether: true, enabled: 'enabled', active: 'active', path: join(units, 'tether-gateway.service') });
    const down = await runTetherJson<Record<string, unknown>>(['gateway', 'status', '--service', '--unit-dir', units], fakeEnv({ FAKE_SYSTEMD: 'down' }));
    expect(down.note).toMatch(/no running systemd/);
    writeFileSync(log, '');
    const removed = await runTether(['gateway', 'uninstall', '--unit-dir', units], fakeEnv());
    expect(removed.code, removed.stderr).toBe(0);
    expect(calls()).toEqual(['systemctl --user disable --now tether-gateway', 'systemctl --user daemon-reload']);
    expect(existsSync(join(units, 'tether-gateway.service'))).toBe(false);
    expect(existsSync(state)).toBe(true);
    const twice = await runTether(['gateway', 'uninstall', '--unit-dir', units], fakeEnv());
    expect(twice.stdout).toContain('nothing to remove');
  });

  it('refuses to overwrite or remove a unit tether did not write', async () => {
    mkdirSync(units, { recursive: true });
    const foreign = '[Unit]\nDescription=somebody else\n[Service]\nExecStart=/bin/true\n';
    writeFileSync(join(units, 'tether-gateway.service'), foreign);
    const uninstall = await runTether(['gateway', 'uninstall', '--unit-dir', units, '--json'], fakeEnv());
    expect(uninstall.code).toBe(1);
    expect(JSON.parse(uninstall.stdout).error.code).toBe('SERVICE_FOREIGN');
    const install = await runTether(['gateway', 'install', '--unit-dir', units], fakeEnv());
    expect(install.code).toBe(1);
    expect(install.stderr).toContain('not written by tether');
    expect(readFileSync(join(units, 'tether-gateway.service'), 'utf8')).toBe(foreign);
    expect(calls()).toEqual([]);
  });
});

describe('tether node install', () => {
  it('needs --url or --pair', async () => {
    const result = await runTether(['node', 'install', '--unit-dir', units], fakeEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--url .* or --pair/);
  });

  it('--url bakes a hostile URL in, quoted; uninstall and status work for the node too', async () => {
    const url = 'ws://127.0.0.1:1/p%20$x';
    const result = await runTether(['node', 'install', '--url', url, '--unit-dir', units, '--state-dir', state], fakeEnv());
    expect(result.code, result.stderr).toBe(0);
    const unit = readFileSync(join(units, 'tether-node.service'), 'utf8');
    expect(unit).toContain('"node" "run" "--url" "ws://127.0.0.1:1/p%%20$$x"');
    expect((await runTetherJson<{ active: string }>(['node', 'status', '--unit-dir', units], fakeEnv())).active).toBe('active');
    expect((await runTether(['node', 'uninstall', '--unit-dir', units], fakeEnv())).code).toBe(0);
  });

  it('--pair redeems the setup code in the foreground, then installs a unit with the URL and no code', async () => {
    const gateway = await startGatewayProcess();
    const created = await runTetherJson<DeviceSetupCreateResult>(['devices', 'setup-code', '--state-dir', gateway.stateDir]);
    const result = await runTether(['node', 'install', '--pair', created.code, '--unit-dir', units, '--state-dir', state, '--json'], fakeEnv(), 60_000);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ paired: true, pairedWith: gateway.url, started: true });
    const unit = readFileSync(join(units, 'tether-node.service'), 'utf8');
    expect(unit).toContain(`"--url" "${gateway.url}"`);
    expect(unit).not.toContain(created.code);
    expect(unit).not.toContain('--pair');
    expect(JSON.parse(readFileSync(join(state, 'device-auth.json'), 'utf8')).tokens[gateway.url]).toBeDefined();
  });

  it('a bad setup code is refused before anything is written', async () => {
    const result = await runTether(['node', 'install', '--pair', 'oc-pair://garbage', '--unit-dir', units, '--state-dir', state], fakeEnv());
    expect(result.code).toBe(2);
    expect(existsSync(units)).toBe(false);
  });
});

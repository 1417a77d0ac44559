/**
 * The exec allowlist under attack, end to end with a real gateway, a real node and real busybox.
 *
 * Finding 2: on a busybox system `tether node allow uname` stored /usr/bin/busybox, and because the
 * node spawned with argv[0] as the caller wrote it, `system.run ["sh","-c",…]` ran a shell. Here the
 * node's PATH is a symlink farm to busybox (as on Alpine or OpenWrt), and every way of naming the
 * shell must be refused while `uname -a` still works.
 *
 * Finding 3: `tether up`'s starter list allowed GNU `date`, and `date -f <file>` printed the owner
 * token. `hostname NAME` renamed the machine. Both must be refused by the starter list.
 *
 * Nodes are started with the gateway's shared token, so the tests hold whether or not the gateway
 * pairs token-less loopback nodes silently.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedToken } from '../helpers/clients.js';
import { cleanup, runTether, spawnTether, startGatewayProcess, tempDir, type CliResult, type GatewayProcess } from '../helpers/processes.js';

afterAll(cleanup);

const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((path) => existsSync(path));

describe.skipIf(BUSYBOX === undefined)('a busybox node where only uname is allowed', () => {
  let gateway: GatewayProcess;
  let farm: string;
  let nodeDir: string;
  let work: string;
  const busybox = (): string => realpathSync(BUSYBOX as string);
  const run = (command: string[], extra: string[] = []): Promise<CliResult> =>
    runTether(['nodes', 'run', '--node', 'busybox-node', '--state-dir', gateway.stateDir, ...extra, '--', ...command]);

  beforeAll(async () => {
    gateway = await startGatewayProcess();
    farm = tempDir('tether-busybox-farm-');
    for (const name of ['uname', 'sh', 'ash', 'busybox', 'cat']) symlinkSync(BUSYBOX as string, join(farm, name));
    work = tempDir('tether-busybox-work-');
    nodeDir = tempDir('tether-busybox-node-');
    const allowed = await runTether(['node', 'allow', 'uname', '--state-dir', nodeDir], { PATH: farm });
    expect(allowed.code, allowed.stderr).toBe(0);
    const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'busybox-node'], {
      PATH: farm,
      TETHER_GATEWAY_TOKEN: sharedToken(gateway.stateDir),
    });
    await node.waitFor(/connected to .* as busybox-node/, 15_000);
  });

  it('`tether node allow uname` stores the name together with the busybox binary', () => {
    const file = JSON.parse(readFileSync(join(nodeDir, 'exec-policy.json'), 'utf8')) as { allowlist: unknown[] };
    expect(file.allowlist).toEqual([{ path: busybox(), name: 'uname' }]);
  });

  it('uname -a runs (as uname)', async () => {
    const result = await run(['uname', '-a']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Linux /);
  });

  it('uname --help is busybox uname’s usage, not another applet', async () => {
    const result = await run(['uname', '--help']);
    expect(`${result.stdout}${result.stderr}`).toMatch(/Usage: uname /);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/Currently defined functions/);
  });

  it.each([
    ['sh by name', (marker: string) => ['sh', '-c', `echo PWNED > ${marker}`], 'sh'],
    ['ash by name', (marker: string) => ['ash', '-c', `echo PWNED > ${marker}`], 'ash'],
    ['busybox on PATH with the applet as argv[1]', (marker: string) => ['busybox', 'sh', '-c', `echo PWNED > ${marker}`], 'busybox'],
    ['the real busybox path with the applet as argv[1]', (marker: string) => [busybox(), 'sh', '-c', `echo PWNED > ${marker}`], 'busybox'],
    ['a path to the farm’s sh', (marker: string) => [join(farm, 'sh'), '-c', `echo PWNED > ${marker}`], 'sh'],
    ['a path through the uname link that ends in sh', (marker: string) => [`${join(farm, 'uname')}/../sh`, '-c', `echo PWNED > ${marker}`], 'sh'],
    ['cat to read a file', (marker: string) => ['cat', join(gateway.stateDir, 'gateway.token'), marker], 'cat'],
  ])('%s is refused with allowlist-name-mismatch, and nothing runs', async (_name, command, invokedAs) => {
    const marker = join(work, `pwned-${invokedAs}-${Math.random().toString(36).slice(2)}`);
    const result = await run(command(marker));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('exec denied by rule allowlist-name-mismatch');
    expect(result.stderr).toContain(`${busybox()} is on this node's exec allowlist only as uname`);
    expect(result.stderr).toContain(`invoked as ${invokedAs}`);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain(sharedToken(gateway.stateDir));
    expect(existsSync(marker)).toBe(false);
  });

  it('after the owner restricts uname to exact argument lists, other arguments are refused', async () => {
    const restricted = await runTether(['node', 'allow', 'uname', '--exact', '--state-dir', nodeDir, '--', '-s'], { PATH: farm });
    expect(restricted.code, restricted.stderr).toBe(1);
    expect(restricted.stderr).toContain('already allowed with every argument');
    const removed = await runTether(['node', 'disallow', 'uname', '--state-dir', nodeDir], { PATH: farm });
    expect(removed.code, removed.stderr).toBe(0);
    const allowed = await runTether(['node', 'allow', 'uname', '--exact', '--state-dir', nodeDir, '--', '-s'], { PATH: farm });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('only with exactly: uname -s');

    expect((await run(['uname', '-s'])).stdout).toBe('Linux\n');
    const refused = await run(['uname', '-a']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('exec denied by rule allowlist-args-mismatch');
    expect(refused.stderr).toContain('tether node allow');
  });
});

describe('tether up’s starter allowlist', () => {
  let stateDir: string;
  let fakeBin: string;
  let renamed: string;
  const run = (command: string[]): Promise<CliResult> =>
    runTether(['nodes', 'run', '--node', 'up-node', '--state-dir', stateDir, '--', ...command]);

  beforeAll(async () => {
    stateDir = tempDir('tether-up-');
    // A real `hostname NAME` as root renames this machine, so hostname is a stand-in that records its
    // arguments instead. Everything else (date, uname, df, uptime) is the real program.
    fakeBin = tempDir('tether-up-bin-');
    renamed = join(tempDir('tether-up-marker-'), 'hostname-args');
    mkdirSync(fakeBin, { recursive: true });
    writeFileSync(join(fakeBin, 'hostname'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${renamed}'\necho fake-host\n`, { mode: 0o755 });
    const up = spawnTether(['up', '--port', '0', '--state-dir', stateDir, '--display-name', 'up-node'], {
      PATH: `${fakeBin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    });
    await up.waitFor(/This machine is paired as node "up-node"/, 20_000);
  });

  it('refuses `date -f <gateway token file>` and the token does not leak', async () => {
    const token = sharedToken(stateDir);
    const result = await run(['date', '-f', join(stateDir, 'gateway.token')]);
    expect(`${result.stdout}${result.stderr}`).not.toContain(token);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('exec denied by rule allowlist-args-mismatch');
  });

  // `date -s …` and `date MMDDhhmm` would set this machine's clock if the policy were wrong, so those
  // are checked without running anything, in cli/src/commands/up.test.ts.
  it.each([
    [['df', '/dev/null']],
    [['uptime', '/etc/passwd']],
  ])('refuses %j', async (command) => {
    const result = await run(command);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('exec denied by rule allowlist-args-mismatch');
  });

  it('refuses `hostname evil` and `hostname -F <file>`, and hostname never runs for them', async () => {
    for (const command of [['hostname', 'evil'], ['hostname', '-F', join(stateDir, 'gateway.token')]]) {
      const result = await run(command);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('exec denied by rule allowlist-args-mismatch');
    }
    expect(existsSync(renamed)).toBe(false);
  });

  it('still runs the starter commands in their safe forms', async () => {
    expect(await run(['hostname'])).toMatchObject({ code: 0, stdout: 'fake-host\n' });
    expect(readFileSync(renamed, 'utf8')).toBe('\n'); // the stand-in ran once, with no arguments
    const date = await run(['date', '-u']);
    expect(date.code, date.stderr).toBe(0);
    expect(date.stdout).toMatch(/UTC/);
    const uname = await run(['uname', '-a']);
    expect(uname.code, uname.stderr).toBe(0);
    expect((await run(['df'])).code).toBe(0);
  });
});

describe('tether up on a node seeded by an older version', () => {
  it('keeps the owner’s list but warns that date runs with every argument, with the commands that restrict it', async () => {
    const stateDir = tempDir('tether-up-old-');
    const nodeDir = join(stateDir, 'node');
    mkdirSync(nodeDir, { recursive: true });
    const date = realpathSync(['/usr/bin/date', '/bin/date'].find((path) => existsSync(path)) ?? 'date');
    writeFileSync(join(nodeDir, 'exec-policy.json'), JSON.stringify({ version: 1, security: 'allowlist', allowlist: [date] }), { mode: 0o600 });
    const up = spawnTether(['up', '--port', '0', '--state-dir', stateDir, '--display-name', 'old-node']);
    await up.waitFor(/This machine is paired as node "old-node"/, 20_000);
    expect(up.output()).toContain("Warning: this node's exec allowlist lets date run with every argument");
    expect(up.output()).toContain(`tether node disallow date --state-dir ${nodeDir} && tether node allow date --exact --state-dir ${nodeDir}`);
    expect(JSON.parse(readFileSync(join(nodeDir, 'exec-policy.json'), 'utf8')).allowlist).toEqual([date]);
  });
});

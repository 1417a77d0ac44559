/**
 * The generated service files, checked by the real tools: `systemd-analyze verify` for both systemd
 * kinds, `plutil -lint` for the plist where it exists (macOS), and on every platform an independent
 * reading of systemd's quoting rules to prove hostile values come back byte for byte.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { planService, type ServiceEnvironment } from './plan.js';
import { ServiceValueError } from './quote.js';
import { isTetherServiceFile, renderSystemdUnit, type ServiceKind, type ServiceRole } from './units.js';

const dirs: string[] = [];
/**
 * A system unit refuses a Node.js or tether under /home or /root (the service cannot read them), and the
 * Node.js running these tests may live there (CI's Node 24 is in ~/.cache): the units name links to
 * them in a temp folder instead, which systemd-analyze follows.
 */
const BIN = mkdtempSync(join(tmpdir(), 'tether-svc-bin-'));
dirs.push(BIN);
const NODE = join(BIN, 'node');
const ENTRY = join(BIN, 'tether.js');
symlinkSync(process.execPath, NODE);
symlinkSync(fileURLToPath(new URL('../../bin/tether.js', import.meta.url)), ENTRY);
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether svc '));
  dirs.push(dir);
  return dir;
}

function machine(platform: NodeJS.Platform = 'linux', overrides: Partial<ServiceEnvironment> = {}): ServiceEnvironment {
  return {
    platform,
    env: {},
    home: '/home/ada',
    nodePath: NODE,
    entryPath: ENTRY,
    deviceGroups: ['video', 'input', 'audio'],
    systemdVersion: 252,
    defaultStateDir: (role) => (role === 'gateway' ? '/home/ada/.tether' : '/home/ada/.tether/node'),
    ...overrides,
  };
}

const hasTool = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/**
 * systemd's reading of one ExecStart= line, written from systemd.service(5) and systemd.syntax(7)
 * rather than from our quoting code: words split on whitespace, "…" groups with C escapes inside,
 * `%%` → `%`, `$$` → `$`. Anything else after `%` or `$` would be a specifier or a variable: flagged.
 */
function readExecStart(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let word = '';
    if (line[i] !== '"') throw new Error(`unquoted word at ${i}: ${line.slice(i)}`);
    i++;
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error('unbalanced quote');
      if (c === '"') { i++; break; }
      if (c === '\\') { word += line[i + 1]; i += 2; continue; }
      if (c === '%' || c === '$') {
        if (line[i + 1] !== c) throw new Error(`unescaped ${c} at ${i}: would be expanded`);
        word += c; i += 2; continue;
      }
      word += c; i++;
    }
    words.push(word);
  }
  return words;
}

function verify(kind: ServiceKind, text: string, name: string): { status: number | null; output: string } {
  const dir = temp();
  const path = join(dir, name);
  writeFileSync(path, text);
  const args = kind === 'systemd-user' ? ['--user', 'verify', path] : ['verify', path];
  // A user manager wants a runtime dir; outside a login session there is none, so give it one.
  const result = spawnSync('systemd-analyze', args, { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning', XDG_RUNTIME_DIR: temp() } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const HOSTILE_DIR = '/srv/my state/100% "real" $HOME \\ back\'tick`;x';
const HOSTILE_URL = 'wss://gw.example:18789/p%20a?x=$y&z="1"';

describe('systemd units', () => {
  const kinds: [ServiceRole, ServiceKind][] = [['gateway', 'systemd-user'], ['gateway', 'systemd-system'], ['node', 'systemd-user'], ['node', 'systemd-system']];
  for (const [role, kind] of kinds) {
    it(`${role} ${kind}: systemd-analyze verify accepts it, with a hostile state dir and URL`, (ctx) => {
      if (!hasTool('systemd-analyze')) {
        console.warn('SKIPPED: systemd-analyze is not installed (Debian: apt-get install systemd)');
        ctx.skip();
      }
      const plan = planService(role, { system: kind === 'systemd-system', stateDir: HOSTILE_DIR, url: HOSTILE_URL, unitDir: temp() }, machine());
      const result = verify(kind, plan.text, `${plan.name}.service`);
      // verify prints problems it finds (unknown keys, bad quoting, a missing binary) even when it exits 0.
      const problems = result.output.split('\n').filter((line) => line.includes(plan.name) || /Unknown|quot|Invalid|Failed|not executable|No such/i.test(line));
      expect(problems, result.output).toEqual([]);
      expect(result.status, result.output).toBe(0);
    });
  }

  it('verify is a real check: a broken unit fails it', (ctx) => {
    if (!hasTool('systemd-analyze')) return ctx.skip();
    const plan = planService('gateway', { unitDir: temp() }, machine('linux', { nodePath: '/nonexistent/node' }));
    const result = verify('systemd-user', plan.text, 'tether-gateway.service');
    expect(`${result.status} ${result.output}`).toMatch(/nonexistent|No such file|not executable/i);
  });

  it('ExecStart= and Environment= read back exactly what was given', () => {
    const plan = planService('node', { stateDir: HOSTILE_DIR, url: HOSTILE_URL, displayName: 'Kitchen "Pi" 50%', unitDir: '/tmp/u' }, machine());
    const exec = /^ExecStart=(.*)$/m.exec(plan.text)![1]!;
    expect(readExecStart(exec)).toEqual([NODE, ENTRY, 'node', 'run', '--url', HOSTILE_URL, '--state-dir', HOSTILE_DIR, '--display-name', 'Kitchen "Pi" 50%']);
    const envLine = /^Environment=(.*)$/m.exec(plan.text)![1]!;
    // Environment= does not expand $, so it must stay single; % is still a specifier there.
    expect(envLine).toContain('$HOME');
    expect(envLine).not.toContain('$$');
    expect(envLine).toContain('100%%');
  });

  it('refuses a newline or another control character in any baked-in value, saying why', () => {
    for (const flags of [{ stateDir: '/srv/a\nExecStartPre=/bin/rm -rf /' }, { url: 'wss://h:1/\n[Service]' }, { displayName: 'a\rb' }, { stateDir: '/srv/\u0000' }]) {
      expect(() => planService('node', { url: 'wss://h:1', ...flags, unitDir: '/tmp/u' }, machine())).toThrow(ServiceValueError);
    }
    expect(() => planService('node', { url: 'wss://h:1', stateDir: '/a\nb' }, machine())).toThrow(/control character \(\\x0a\)/);
  });

  it('refuses URLs that are not ws:// or wss://', () => {
    for (const url of ['http://h:1', 'file:///etc/passwd', 'not a url', 'ws://']) expect(() => planService('node', { url }, machine())).toThrow(ServiceValueError);
  });

  it('the system unit is hardened, keeps the state dir writable and asks only for device groups that exist', () => {
    const node = planService('node', { system: true, url: 'wss://h:1' }, machine()).text;
    for (const directive of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'ProtectKernelTunables=yes', 'RestrictSUIDSGID=yes', 'LockPersonality=yes', 'User=tether', 'StateDirectory=tether-node', 'StateDirectoryMode=0700', 'WantedBy=multi-user.target']) {
      expect(node).toContain(directive);
    }
    expect(node).toContain('SupplementaryGroups=video input'); // render does not exist on this fake machine
    expect(node).not.toContain('PrivateDevices'); // cameras are devices
    const gateway = planService('gateway', { system: true, stateDir: '/srv/tether gw' }, machine()).text;
    expect(gateway).toContain('ReadWritePaths="/srv/tether gw"');
    expect(gateway).toContain('PrivateDevices=yes');
    expect(gateway).not.toContain('SupplementaryGroups');
  });

  it('a system unit refuses binaries under /home (ProtectHome=yes would hide them)', () => {
    expect(() => planService('gateway', { system: true }, machine('linux', { nodePath: '/home/ada/.nvm/versions/node/v24/bin/node' }))).toThrow(/under a home directory/);
  });

  it('restarts on failure with a delay, never gives up, and uses exponential steps where systemd knows them', () => {
    const old = planService('gateway', {}, machine('linux', { systemdVersion: 252 })).text;
    expect(old).toMatch(/^Restart=on-failure$/m);
    expect(old).toMatch(/^RestartSec=5s$/m);
    expect(old).toMatch(/^StartLimitIntervalSec=0$/m);
    expect(old).not.toContain('RestartSteps');
    const recent = planService('gateway', {}, machine('linux', { systemdVersion: 256 })).text;
    expect(recent).toContain('RestartSteps=6');
    expect(recent).toContain('RestartMaxDelaySec=2min');
  });

  it('user units go to ~/.config/systemd/user (or XDG_CONFIG_HOME), system units to /etc/systemd/system', () => {
    expect(planService('gateway', {}, machine()).filePath).toBe('/home/ada/.config/systemd/user/tether-gateway.service');
    expect(planService('node', { url: 'ws://127.0.0.1:1' }, machine('linux', { env: { XDG_CONFIG_HOME: '/cfg' } })).filePath).toBe('/cfg/systemd/user/tether-node.service');
    expect(planService('gateway', { system: true }, machine()).filePath).toBe('/etc/systemd/system/tether-gateway.service');
    expect(planService('gateway', {}, machine('linux', { env: { TETHER_SERVICE_DIR: '/t/u' } })).filePath).toBe('/t/u/tether-gateway.service');
  });

  it('marks its files, and the marker check rejects files without it', () => {
    expect(isTetherServiceFile(planService('gateway', {}, machine()).text)).toBe(true);
    expect(isTetherServiceFile(planService('gateway', {}, machine('darwin')).text)).toBe(true);
    expect(isTetherServiceFile('[Unit]\nDescription=someone else\n')).toBe(false);
    expect(isTetherServiceFile('[Unit]\nDescription=tether-managed-service: fake\n')).toBe(false); // only a comment counts
  });

  it('renderSystemdUnit refuses a bad account name', () => {
    const plan = planService('gateway', { system: true }, machine());
    expect(() => renderSystemdUnit({ ...plan.spec, user: 'root;x' })).toThrow(ServiceValueError);
  });
});

describe('launchd agent', () => {
  it('is valid plist XML with the keys launchd needs, escaping hostile values', () => {
    const plan = planService('gateway', { stateDir: '/Users/ada/my <state> & "dir"' }, machine('darwin', { home: '/Users/ada' }));
    expect(plan.filePath).toBe('/Users/ada/Library/LaunchAgents/dev.tether.gateway.plist');
    const text = plan.text;
    for (const key of ['Label', 'ProgramArguments', 'EnvironmentVariables', 'RunAtLoad', 'KeepAlive', 'SuccessfulExit', 'ThrottleInterval', 'StandardOutPath', 'StandardErrorPath']) expect(text).toContain(`<key>${key}</key>`);
    expect(text).toContain('<string>/Users/ada/my &lt;state&gt; &amp; &quot;dir&quot;</string>');
    expect(text).toContain('<string>/Users/ada/Library/Logs/tether/gateway.log</string>');
    expect(wellFormed(text)).toBe(true);
    expect(wellFormed(text.replace('</array>', ''))).toBe(false); // the checker can fail
    if (hasTool('plutil')) {
      const dir = temp();
      const path = join(dir, 'dev.tether.gateway.plist');
      writeFileSync(path, text);
      expect(execFileSync('plutil', ['-lint', path], { encoding: 'utf8' })).toMatch(/OK/);
    } else {
      console.warn('plutil -lint SKIPPED: plutil exists only on macOS; the plist was checked as well-formed XML with its keys instead');
    }
  });

  it('refuses --system on macOS with the next step', () => {
    expect(() => planService('gateway', { system: true }, machine('darwin'))).toThrow(/LaunchAgent/);
  });
});

/** A small well-formedness check: balanced tags, known entities only, nothing raw that XML forbids. */
function wellFormed(xml: string): boolean {
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '').replace(/<!DOCTYPE[^>]*>\s*/, '').replace(/<!--[\s\S]*?-->/g, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w.-]*)\s*[^<>]*?(\/?)>|([^<]+)|(<)/g;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    if (m[5]) return false;
    if (m[4] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[4])) return false;
      continue;
    }
    if (m[3]) continue;
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]!);
  }
  return stack.length === 0;
}

/** `tether doctor` against real state dirs and a real gateway process: clean, modes fixed, stale lock, busy port, JSON, exit codes. */
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, runTether, startGatewayProcess, stop, tempDir } from './helpers/processes.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await cleanup();
});

interface DoctorJson {
  ok: boolean;
  stateDir: string;
  fixed: string[];
  checks: { id: string; status: string; message: string; fix?: string; fixable?: boolean }[];
}

async function doctor(stateDir: string, ...extra: string[]): Promise<{ code: number | null; report: DoctorJson }> {
  const result = await runTether(['doctor', '--state-dir', stateDir, '--json', ...extra]);
  return { code: result.code, report: JSON.parse(result.stdout) as DoctorJson };
}

const check = (report: DoctorJson, id: string) => report.checks.find((c) => c.id === id);

describe('tether doctor', () => {
  it('a healthy state dir with its gateway running is clean (exit 0), in text and JSON', async () => {
    const gateway = await startGatewayProcess();
    const { code, report } = await doctor(gateway.stateDir);
    expect(report.checks.filter((c) => c.status === 'problem')).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(check(report, 'gateway.reachable')?.status).toBe('ok');
    expect(check(report, 'clock.skew')?.status).toBe('ok');
    expect(check(report, 'gateway.lock')?.message).toContain('held by pid');
    expect(check(report, 'state-dir.modes')?.status).toBe('ok');
    expect(report.checks.every((c) => typeof c.id === 'string' && ['ok', 'warn', 'problem', 'skipped'].includes(c.status) && typeof c.message === 'string')).toBe(true);
    const text = await runTether(['doctor', '--state-dir', gateway.stateDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('no problems found');
    // The token itself never appears in doctor's output.
    const token = (await import('node:fs')).readFileSync(join(gateway.stateDir, 'gateway.token'), 'utf8').trim();
    expect(text.stdout + JSON.stringify(report)).not.toContain(token);
    await stop(gateway.child);
  });

  it('a token file chmodded 0644 is reported (exit 1) and --fix makes it 0600 (exit 0)', async () => {
    const gateway = await startGatewayProcess();
    const tokenPath = join(gateway.stateDir, 'gateway.token');
    chmodSync(tokenPath, 0o644);
    const before = await doctor(gateway.stateDir);
    expect(before.code).toBe(1);
    expect(check(before.report, 'state-dir.modes')).toMatchObject({ status: 'problem', fixable: true });
    expect(check(before.report, 'state-dir.modes')?.message).toContain('gateway.token (0644)');
    const fixed = await doctor(gateway.stateDir, '--fix');
    expect(fixed.report.fixed).toContain('chmod 0600 gateway.token');
    expect(fixed.code).toBe(0);
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    await stop(gateway.child);
  });

  it('a stale lock left by a dead gateway is reported and --fix removes it', async () => {
    const gateway = await startGatewayProcess();
    const lockPath = join(gateway.stateDir, 'gateway.lock');
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    expect(existsSync(lockPath)).toBe(true);
    const before = await doctor(gateway.stateDir);
    expect(before.code).toBe(1);
    expect(check(before.report, 'gateway.lock')).toMatchObject({ status: 'problem', fixable: true });
    const fixed = await doctor(gateway.stateDir, '--fix');
    expect(fixed.report.fixed).toContain('removed the stale gateway lock');
    expect(existsSync(lockPath)).toBe(false);
    expect(check(fixed.report, 'gateway.lock')?.status).toBe('ok');
    expect(fixed.code).toBe(0);
  });

  it('a port held by a foreign program is a problem with the fix', async () => {
    const foreign = createServer((socket) => socket.end('220 not a gateway\r\n'));
    servers.push(foreign);
    foreign.on('connection', (socket) => sockets.add(socket));
    const port = await new Promise<number>((resolve) => foreign.listen(0, '127.0.0.1', () => resolve((foreign.address() as { port: number }).port)));
    const stateDir = tempDir('tether-doctor-');
    chmodSync(stateDir, 0o700);
    writeFileSync(join(stateDir, 'tether.json'), JSON.stringify({ gateway: { port } }), { mode: 0o600 });
    const { code, report } = await doctor(stateDir);
    expect(code).toBe(1);
    expect(check(report, 'port')).toMatchObject({ status: 'problem' });
    expect(check(report, 'port')?.message).toContain('not a Tether gateway');
    expect(check(report, 'port')?.fix).toContain(String(port));
  });

  it('an invalid config names the key and exits 1', async () => {
    const stateDir = tempDir('tether-doctor-');
    chmodSync(stateDir, 0o700);
    writeFileSync(join(stateDir, 'tether.json'), '{ gateway: { hots: "0.0.0.0" } }', { mode: 0o600 });
    const result = await runTether(['doctor', '--state-dir', stateDir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('gateway.hots');
    expect(result.stdout).toContain('did you mean');
  });
});

/** `tether security audit [--deep]` against real state dirs and a real gateway: findings, JSON shape, exit codes, probes. */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, ownerTokenEnv, runTether, startGatewayProcess, tempDir } from './helpers/processes.js';

afterAll(cleanup);

interface AuditJson {
  ok: boolean;
  deep: boolean;
  counts: { critical: number; warn: number; info: number };
  findings: { id: string; severity: 'info' | 'warn' | 'critical'; message: string; fix: string }[];
}

async function auditJson(stateDir: string, ...extra: string[]): Promise<{ code: number | null; report: AuditJson; stderr: string }> {
  const result = await runTether(['security', 'audit', '--state-dir', stateDir, '--json', ...extra], {}, 30_000);
  return { code: result.code, report: JSON.parse(result.stdout) as AuditJson, stderr: result.stderr };
}

function privateStateDir(config?: unknown): string {
  const dir = tempDir('tether-audit-');
  chmodSync(dir, 0o700);
  if (config !== undefined) writeFileSync(join(dir, 'tether.json'), JSON.stringify(config), { mode: 0o600 });
  return dir;
}

describe('tether security audit', () => {
  it('a public bind without TLS is critical: exit 1, with the id and the fix', async () => {
    const stateDir = privateStateDir({ gateway: { host: '0.0.0.0', tls: { enabled: false } } });
    const { code, report } = await auditJson(stateDir);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const finding = report.findings.find((f) => f.id === 'bind.public-without-tls');
    expect(finding).toMatchObject({ severity: 'critical' });
    expect(finding?.fix).toMatch(/tls|127\.0\.0\.1/);
    expect(report.counts.critical).toBeGreaterThan(0);
  });

  it('an open DM policy and system.run allowed everywhere are reported; a world-readable token is critical', async () => {
    const stateDir = privateStateDir({ nodes: { allowCommands: ['system.run'] } });
    writeFileSync(join(stateDir, 'gateway.token'), 'x'.repeat(32));
    chmodSync(join(stateDir, 'gateway.token'), 0o644);
    const { code, report } = await auditJson(stateDir);
    expect(report.findings.map((f) => f.id)).toEqual(expect.arrayContaining(['nodes.system-run-allowed', 'files.world-readable']));
    expect(report.findings.find((f) => f.id === 'files.world-readable')?.severity).toBe('critical');
    expect(code).toBe(1);
    const text = await runTether(['security', 'audit', '--state-dir', stateDir]);
    expect(text.stdout).toContain('CRITICAL files.world-readable');
    expect(text.stdout).not.toContain('x'.repeat(32));
  });

  it('a default state dir has no critical finding (exit 0)', async () => {
    const { code, report } = await auditJson(privateStateDir());
    expect(report.counts.critical).toBe(0);
    expect(code).toBe(0);
    expect(report.deep).toBe(false);
  });

  it('--deep against a running gateway: every probe holds, and the probe leaves no pending request', async () => {
    const gateway = await startGatewayProcess();
    const { code, report, stderr } = await auditJson(gateway.stateDir, '--deep');
    const ids = report.findings.map((f) => f.id);
    expect(ids, stderr).toEqual(
      expect.arrayContaining(['deep.http-malformed', 'deep.http-unknown-path-404', 'deep.http-no-secrets', 'deep.origin-http-refused', 'deep.origin-ws-refused']),
    );
    expect(ids.some((id) => id === 'deep.tokenless-pairing-held' || id === 'deep.tokenless-pairing-refused'), JSON.stringify(report.findings)).toBe(true);
    expect(report.findings.filter((f) => f.id.startsWith('deep.') && f.severity !== 'info')).toEqual([]);
    expect(code).toBe(0);
    expect(report.deep).toBe(true);
    const pending = await runTether(['devices', 'list', '--state-dir', gateway.stateDir, '--json'], ownerTokenEnv(gateway));
    expect(pending.code).toBe(0);
    const list = JSON.parse(pending.stdout) as { pending?: unknown[]; paired?: { displayName?: string }[] };
    expect(list.pending ?? []).toEqual([]);
    expect((list.paired ?? []).some((d) => d.displayName === 'security-audit-probe')).toBe(false);
    // The gateway is still alive and its token never appeared.
    const token = readFileSync(join(gateway.stateDir, 'gateway.token'), 'utf8').trim();
    expect(JSON.stringify(report)).not.toContain(token);
  });

  it('a bad --token-max-age is a usage error (exit 2)', async () => {
    const result = await runTether(['security', 'audit', '--state-dir', privateStateDir(), '--token-max-age', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--token-max-age');
  });
});

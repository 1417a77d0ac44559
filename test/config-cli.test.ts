/** `tether config` as a person runs it: exit codes, messages, the backup, refusals that write nothing. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, runTether, tempDir } from './helpers/processes.js';

afterAll(cleanup);

describe('tether config', () => {
  it('refuses hostile paths and invalid values, writing nothing', async () => {
    const dir = tempDir('tether-config-cli-');
    writeFileSync(join(dir, 'tether.json'), '// keep\n{ nodes: { invokeTimeoutMs: 1000 } }\n', { mode: 0o600 });
    for (const args of [
      ['set', '__proto__.polluted', 'true'],
      ['set', 'nodes.constructor', '1'],
      ['set', 'nodes.invokeTimeoutMs', '5'],
      ['set', 'gateway.tls.certPath', 'cert.pem', '--json'],
    ]) {
      const result = await runTether(['config', ...args, '--state-dir', dir]);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/prototype|invokeTimeoutMs|certPath and keyPath/);
    }
    expect(readFileSync(join(dir, 'tether.json'), 'utf8')).toContain('// keep');
    expect(existsSync(join(dir, 'tether.json.bak'))).toBe(false);
  });

  it('sets, gets, unsets with a backup and a note about lost comments; validate and schema', async () => {
    const dir = tempDir('tether-config-cli-');
    writeFileSync(join(dir, 'tether.json'), '// keep\n{ nodes: { invokeTimeoutMs: 1000 } }\n', { mode: 0o600 });
    const set = await runTether(['config', 'set', 'nodes.allowCommands', '["camera.*"]', '--state-dir', dir]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('tether.json.bak');
    expect(set.stderr).toMatch(/comments .* were not kept/);
    const get = await runTether(['config', 'get', 'nodes.allowCommands[0]', '--state-dir', dir]);
    expect(get.stdout.trim()).toBe('camera.*');
    expect((await runTether(['config', 'get', 'nodes.nothing', '--state-dir', dir])).code).toBe(1);
    expect((await runTether(['config', 'unset', 'nodes.allowCommands', '--state-dir', dir])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'tether.json'), 'utf8'))).toEqual({ nodes: { invokeTimeoutMs: 1000 } });
    expect((await runTether(['config', 'validate', '--state-dir', dir])).stdout).toMatch(/is valid/);
    const bad = join(dir, 'bad.json5');
    writeFileSync(bad, '{ gateway: { prot: 1 } }');
    const invalid = await runTether(['config', 'validate', bad, '--state-dir', dir]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/did you mean "gateway\.port"/);
    const schema = JSON.parse((await runTether(['config', 'schema'])).stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toContain('nodes');
  });
});

import { chmodSync, renameSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { writeConfigAtomic } from './atomic-write.js';
import { getConfigValue, setConfigValue, unsetConfigValue, validateConfigFile } from './edit.js';
import { configJsonSchema } from './json-schema.js';

function stateDir(text?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-config-edit-'));
  if (text !== undefined) writeFileSync(join(dir, 'tether.json'), text, { mode: 0o600 });
  return dir;
}

describe('atomic write and backup', () => {
  it('leaves the original untouched and no temp file when the rename fails', () => {
    const dir = stateDir('{ "nodes": { "invokeTimeoutMs": 1000 } }');
    const path = join(dir, 'tether.json');
    let calls = 0;
    const failing = { rename: (from: string, to: string) => {
      // The backup's rename succeeds, the config's fails: the crash between write and rename.
      if (++calls === 2) throw new Error('simulated crash before rename');
      renameSync(from, to);
    } };
    expect(() => writeConfigAtomic(path, '{"broken": ', failing)).toThrow(/simulated crash/);
    expect(readFileSync(path, 'utf8')).toBe('{ "nodes": { "invokeTimeoutMs": 1000 } }');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the mode (0600 when new), one .bak generation, and refuses a symlinked tether.json', () => {
    const dir = stateDir();
    const path = join(dir, 'tether.json');
    writeConfigAtomic(path, '{"a":1}');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o640);
    expect(writeConfigAtomic(path, '{"a":2}').backupPath).toBe(`${path}.bak`);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readFileSync(`${path}.bak`, 'utf8')).toBe('{"a":1}');
    const other = stateDir('{}');
    const linked = stateDir();
    symlinkSync(join(other, 'tether.json'), join(linked, 'tether.json'));
    expect(() => writeConfigAtomic(join(linked, 'tether.json'), '{}')).toThrow(/is a symlink/);
  });
});

describe('tether config set/unset/get (validated before writing)', () => {
  it('refuses an invalid set and writes nothing', () => {
    const original = '// mine\n{ nodes: { invokeTimeoutMs: 1000 } }\n';
    const dir = stateDir(original);
    for (const [key, value, reason] of [
      ['nodes.invokeTimeoutMs', '"soon"', /nodes\.invokeTimeoutMs/],
      ['nodes.denyCommands', '["sytem.run"]', /unknown command name/],
      ['gateway.prot', '1', /did you mean "gateway\.port"/],
      ['gateway.auth.token', '${NOT_IN_ENV_X}', /NOT_IN_ENV_X is not set/],
      ['__proto__.polluted', 'true', /prototype/],
      ['nodes', '{ "__proto__": { "x": 1 } }', /__proto__/],
    ] as const) {
      expect(() => setConfigValue({ stateDir: dir, env: {} }, key, value), key).toThrow(reason);
    }
    expect(readFileSync(join(dir, 'tether.json'), 'utf8')).toBe(original);
    expect(existsSync(join(dir, 'tether.json.bak'))).toBe(false);
  });

  it('sets JSON5 values (else strings), keeps the old file as .bak and says comments were lost', () => {
    const dir = stateDir('// mine\n{ nodes: { invokeTimeoutMs: 1000 } }\n');
    const result = setConfigValue({ stateDir: dir, env: {} }, 'nodes.denyCommands', '["system.run"]');
    expect(result).toMatchObject({ changed: true, formattingLost: true, backupPath: join(dir, 'tether.json.bak') });
    expect(JSON.parse(readFileSync(join(dir, 'tether.json'), 'utf8'))).toEqual({ nodes: { invokeTimeoutMs: 1000, denyCommands: ['system.run'] } });
    expect(readFileSync(join(dir, 'tether.json.bak'), 'utf8')).toContain('// mine');
    setConfigValue({ stateDir: dir, env: {} }, 'gateway.host', '127.0.0.2');
    expect(getConfigValue(dir, 'gateway.host')).toEqual({ found: true, value: '127.0.0.2' });
    expect(setConfigValue({ stateDir: dir, env: {} }, 'gateway.host', '127.0.0.2').changed).toBe(false);
    expect(unsetConfigValue({ stateDir: dir, env: {} }, 'nodes.denyCommands[0]').changed).toBe(true);
    expect(getConfigValue(dir, 'nodes.denyCommands')).toEqual({ found: true, value: [] });
    expect(unsetConfigValue({ stateDir: dir, env: {} }, 'nodes.nothing').changed).toBe(false);
  });

  it('get shows ${NAME} as written, never the secret; validate reads includes and env', () => {
    const dir = stateDir('{ gateway: { auth: { token: "${GW_TOKEN_X}" } }, $include: "nodes.json5" }');
    writeFileSync(join(dir, 'nodes.json5'), '{ nodes: { invokeTimeoutMs: 2000 } }');
    expect(getConfigValue(dir, 'gateway.auth.token').value).toBe('${GW_TOKEN_X}');
    expect(() => validateConfigFile(dir, undefined, {})).toThrow(ConfigError);
    expect(validateConfigFile(dir, undefined, { GW_TOKEN_X: 'a-long-token-0123456789' }).files).toHaveLength(2);
  });
});

describe('tether config schema', () => {
  it('is a JSON Schema of the zod schema: strict objects, known keys, the $include key', () => {
    const schema = configJsonSchema() as { type: string; additionalProperties: boolean; properties: Record<string, any> };
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['$include', 'gateway', 'pairing', 'nodes', 'agent', 'discovery', 'channels']));
    expect(schema.properties.gateway.properties.port).toMatchObject({ type: 'integer', minimum: 0, maximum: 65535 });
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../constants.js';
import { PROTOCOL_SCHEMA_PATH, renderProtocolSchema } from './write-schema.js';

const STALE = 'docs/protocol.schema.json is stale: run npm run schema';

function readOnDisk(): string | undefined {
  try {
    return readFileSync(PROTOCOL_SCHEMA_PATH, 'utf8');
  } catch {
    return undefined;
  }
}

function assertFresh(onDisk: string | undefined, rendered: string): void {
  if (onDisk !== rendered) throw new Error(STALE);
}

describe('docs/protocol.schema.json', () => {
  it('lives at <repo>/docs/protocol.schema.json', () => {
    expect(PROTOCOL_SCHEMA_PATH.replace(/\\/g, '/')).toMatch(/\/docs\/protocol\.schema\.json$/);
    expect(PROTOCOL_SCHEMA_PATH.replace(/\\/g, '/')).not.toMatch(/\/protocol\/docs\//);
  });

  it('matches renderProtocolSchema()', () => {
    assertFresh(readOnDisk(), renderProtocolSchema());
  });

  it.each([
    ['missing file', undefined],
    ['one changed character', renderProtocolSchema().replace('"Tether wire protocol"', '"Tether wire protocoL"')],
    ['no trailing newline', renderProtocolSchema().trimEnd()],
  ])('the freshness check fails on %s', (_name, onDisk) => {
    expect(() => assertFresh(onDisk, renderProtocolSchema())).toThrow(STALE);
  });
});

describe('renderProtocolSchema', () => {
  const rendered = renderProtocolSchema();
  const document = JSON.parse(rendered) as {
    $schema: string;
    title: string;
    version: number;
    definitions: Record<string, Record<string, unknown>>;
  };

  it('has the document header', () => {
    expect(document.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(document.title).toBe('Tether wire protocol');
    expect(document.version).toBe(PROTOCOL_VERSION);
    expect(rendered.endsWith('}\n')).toBe(true);
    expect(rendered.split('\n')[1]).toBe('  "$schema": "http://json-schema.org/draft-07/schema#",');
  });

  it.each([
    // keyed by $id
    'RequestFrame',
    'ResponseFrame',
    'EventFrame',
    'ErrorShape',
    'ConnectChallenge',
    'ConnectParams',
    'HelloOk',
    'NodeInvokeParams',
    'NodeInvokeResultParams',
    'NodeInvokeRequestEvent',
    'NodeInvokeCancelEvent',
    'DevicePairApproveParams',
    'DevicePairListResult',
    'HealthResult',
    'TickEvent',
    'SystemRunParams',
    'SystemWhichResult',
    // no $id: export name without "Schema"
    'StateVersion',
    'ConnectClient',
    'ConnectDevice',
    'ConnectAuth',
    'TokenInfo',
    'ApprovalState',
  ])('defines %s', (name) => {
    expect(document.definitions[name]).toBeTypeOf('object');
  });

  it('contains plain JSON Schema only (no TypeBox metadata, no non-schema exports)', () => {
    expect(rendered).not.toContain('TypeBox');
    expect(Object.keys(document.definitions)).not.toContain('SYSTEM_COMMANDS');
    expect(Object.keys(document.definitions).some((name) => name.endsWith('Schema'))).toBe(false);
  });

  it('keeps the closed envelopes closed', () => {
    expect(document.definitions.RequestFrame?.additionalProperties).toBe(false);
    expect(document.definitions.ErrorShape?.additionalProperties).toBe(false);
    expect(document.definitions.ConnectParams?.additionalProperties).toBe(false);
    expect(document.definitions.NodeInvokeParams?.required).toContain('idempotencyKey');
  });

  it('compiles with a fresh Ajv and validates real frames', () => {
    const ajv = new Ajv({ strict: false });
    ajv.addSchema(document, 'tether');
    const request = ajv.getSchema('ConnectParams');
    expect(request).toBeTypeOf('function');
    expect(request!({ minProtocol: 4, maxProtocol: 4, client: { id: 'cli', version: '1', platform: 'linux', mode: 'cli' } })).toBe(true);
    expect(request!({ minProtocol: 4, maxProtocol: 4, client: { id: 'cli', version: '1', platform: 'linux', mode: 'cli' }, extra: 1 })).toBe(false);
    const response = ajv.getSchema('ResponseFrame');
    expect(response!({ type: 'res', id: '1', ok: false, error: { code: 'X', message: 'm', hint: 'h' } })).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { SystemRunParamsSchema, SystemWhichParamsSchema } from './commands/system.js';
import { ConnectChallengeSchema, ConnectParamsSchema } from './connect.js';
import { DevicePairApproveParamsSchema, DeviceTokenRotateParamsSchema } from './methods/device.js';
import {
  NodeDescribeParamsSchema,
  NodeEventParamsSchema,
  NodeInvokeParamsSchema,
  NodeInvokeResultParamsSchema,
} from './methods/node.js';
import { createValidator, parseFrame } from './validate.js';

// §2.2 "Real node connect" [W], OpenClaw 2026.9.6 headless Linux node host, verbatim except pathEnv and the token.
const REAL_NODE_CONNECT = `{"type":"req","id":"1:fb8df1f8-a4a6-434f-ab81-b4fa44bf0caf","method":"connect","params":{"minProtocol":4,"maxProtocol":4,
 "client":{"id":"node-host","displayName":"peer-node-1","version":"2026.9.6","platform":"linux","deviceFamily":"Linux","mode":"node","instanceId":"7f00567e-ef0e-4f00-aec3-0e928b624303"},
 "caps":["claude-sessions","file","local-inference","mcp","system"],
 "commands":["anthropic.claude.sessions.list.v1","anthropic.claude.sessions.read.v1","desktop.stream","dir.fetch","dir.list","file.create","file.fetch","file.stat","file.write","fs.listDir","mcp.tools.call.v1","ollama.chat","ollama.models","system.execApprovals.get","system.execApprovals.set","system.run","system.run.prepare","system.which","terminal.upload","workspace.memory","workspace.skills"],
 "pathEnv":"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","auth":{"token":"0123456789abcdef0123456789abcdef0123456789abcdef"},"role":"node","scopes":[],
 "device":{"id":"f7904aa52c7144062527fcf18286ad47138243c6bb8dcf64ad221094477660a2","publicKey":"Y_LzpfJd1T1dAHlu_W-6ALVQhErAsJrHYFWovIErt-k",
           "signature":"3nPJrLIcAIHWpW1KGTW_Q3voPhSROZAN4E8HNqpeMWrtl38_iCWRynXvMEJaOdtUTgqkqcNz6R4UcbU5GTlBBA","signedAt":1795311096385,"nonce":"b07742b2-a114-419d-8ea0-f3d1eebdf35a"}}}`;

// §2.2 CLI [W]: the stock 2026.9.6 CLI, which sends no device block. min/max as the CLI sends them (4/4).
const REAL_CLI_CONNECT_PARAMS = {
  minProtocol: 4,
  maxProtocol: 4,
  client: { id: 'cli', version: '2026.9.6', platform: 'linux', deviceFamily: 'Linux', mode: 'cli', instanceId: '3f0e7a52-7d37-4f4b-9a0c-1b1f3f6f2d11' },
  caps: [],
  auth: { token: '0123456789abcdef0123456789abcdef' },
  role: 'operator',
  scopes: ['operator.write'],
};

const connectParams = createValidator(ConnectParamsSchema);

describe('ConnectParams from real OpenClaw clients', () => {
  it('accepts the 2026.9.6 node-host connect frame end to end', () => {
    const parsed = parseFrame(REAL_NODE_CONNECT);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || parsed.frame.type !== 'req') throw new Error('expected a req frame');
    expect(parsed.frame.method).toBe('connect');
    const valid = connectParams.check(parsed.frame.params);
    expect(valid, connectParams.lastError()).toBe(true);
  });

  it('accepts the 2026.9.6 CLI connect params (no device block)', () => {
    expect(connectParams.check(REAL_CLI_CONNECT_PARAMS), connectParams.lastError()).toBe(true);
  });

  it('accepts the v3-era CLI (3/3, no deviceFamily)', () => {
    const { deviceFamily: _dropped, ...client } = REAL_CLI_CONNECT_PARAMS.client;
    expect(connectParams.check({ ...REAL_CLI_CONNECT_PARAMS, minProtocol: 3, maxProtocol: 3, client })).toBe(true);
  });
});

describe('ConnectParams: rejected', () => {
  const base = REAL_CLI_CONNECT_PARAMS;
  it.each([
    ['unknown top-level key', { ...base, fancy: true }, 'value: unexpected property "fancy"'],
    ['unknown client key', { ...base, client: { ...base.client, os: 'linux' } }, 'client: unexpected property "os"'],
    ['unknown auth key', { ...base, auth: { secret: 'x' } }, 'auth: unexpected property "secret"'],
    ['missing client', { minProtocol: 4, maxProtocol: 4 }, 'missing required property "client"'],
    ['missing maxProtocol', { ...base, maxProtocol: undefined }, 'missing required property "maxProtocol"'],
    ['minProtocol 0', { ...base, minProtocol: 0 }, 'minProtocol'],
    ['protocol as string', { ...base, maxProtocol: '4' }, 'maxProtocol'],
    ['empty client.id', { ...base, client: { ...base.client, id: '' } }, 'client.id'],
    ['scopes not an array', { ...base, scopes: 'operator.write' }, 'scopes'],
    ['permissions not booleans', { ...base, permissions: { camera: 'yes' } }, 'permissions'],
    [
      'device missing signature',
      { ...base, device: { id: 'd', publicKey: 'k', signedAt: 1, nonce: 'n' } },
      'device: missing required property "signature"',
    ],
    ['device negative signedAt', { ...base, device: { id: 'd', publicKey: 'k', signature: 's', signedAt: -1, nonce: 'n' } }, 'device.signedAt'],
  ])('%s', (_name, params, message) => {
    // JSON round trip drops the `undefined` keys, as on the wire.
    const value: unknown = JSON.parse(JSON.stringify(params));
    expect(connectParams.check(value)).toBe(false);
    expect(connectParams.lastError()).toContain(message);
  });
});

describe('ConnectChallenge', () => {
  it.each([
    ['real 2026.9.6 challenge', { nonce: 'b07742b2-a114-419d-8ea0-f3d1eebdf35a', ts: 1795311096385, capabilities: ['model-catalog-snapshot'] }, true],
    ['empty nonce', { nonce: '', ts: 1 }, false],
    ['negative ts', { nonce: 'n', ts: -1 }, false],
    ['missing ts', { nonce: 'n' }, false],
  ])('%s', (_name, value, valid) => {
    expect(createValidator(ConnectChallengeSchema).check(value)).toBe(valid);
  });
});

describe('method and command params', () => {
  const invoke = { nodeId: 'f7904aa5', command: 'system.which', params: { bins: ['uname'] }, idempotencyKey: 'e09f9074', timeoutMs: 15000 };
  it.each([
    ['NodeInvokeParams real CLI invoke', NodeInvokeParamsSchema, invoke, true, ''],
    ['NodeInvokeParams without idempotencyKey', NodeInvokeParamsSchema, { ...invoke, idempotencyKey: undefined }, false, 'missing required property "idempotencyKey"'],
    ['NodeInvokeParams empty idempotencyKey', NodeInvokeParamsSchema, { ...invoke, idempotencyKey: '' }, false, 'idempotencyKey'],
    ['NodeInvokeParams extra key', NodeInvokeParamsSchema, { ...invoke, priority: 1 }, false, 'unexpected property "priority"'],
    ['NodeInvokeParams negative timeout', NodeInvokeParamsSchema, { ...invoke, timeoutMs: -5 }, false, 'timeoutMs'],
    ['NodeInvokeParams numeric turnSourceThreadId', NodeInvokeParamsSchema, { ...invoke, turnSourceThreadId: 42 }, true, ''],
    ['NodeDescribeParams', NodeDescribeParamsSchema, { nodeId: 'n' }, true, ''],
    ['NodeDescribeParams empty id', NodeDescribeParamsSchema, { nodeId: '' }, false, 'nodeId'],
    [
      'NodeInvokeResultParams real success',
      NodeInvokeResultParamsSchema,
      { id: '9ee85689', nodeId: 'f7904aa5', ok: true, payloadJSON: '{"bins":{"uname":"/usr/bin/uname"}}' },
      true,
      '',
    ],
    ['NodeInvokeResultParams null payloadJSON and error', NodeInvokeResultParamsSchema, { id: 'i', nodeId: 'n', ok: true, payloadJSON: null, error: null }, true, ''],
    [
      'NodeInvokeResultParams real error',
      NodeInvokeResultParamsSchema,
      { id: 'i', nodeId: 'n', ok: false, error: { code: 'INVALID_REQUEST', message: 'Error: ENOENT' } },
      true,
      '',
    ],
    ['NodeInvokeResultParams missing ok', NodeInvokeResultParamsSchema, { id: 'i', nodeId: 'n' }, false, 'missing required property "ok"'],
    ['NodeEventParams null payloadJSON', NodeEventParamsSchema, { event: 'node.host.stats', payloadJSON: null }, true, ''],
    ['NodeEventParams empty event', NodeEventParamsSchema, { event: '' }, false, 'event'],
    ['SystemRunParams', SystemRunParamsSchema, { command: ['uname', '-a'], runId: 'r', timeoutMs: 1000 }, true, ''],
    ['SystemRunParams empty argv', SystemRunParamsSchema, { command: [] }, false, 'command: must NOT have fewer than 1 items'],
    ['SystemRunParams argv as string', SystemRunParamsSchema, { command: 'uname -a' }, false, 'command'],
    ['SystemRunParams unknown key', SystemRunParamsSchema, { command: ['ls'], shell: true }, false, 'unexpected property "shell"'],
    ['SystemRunParams empty cwd', SystemRunParamsSchema, { command: ['ls'], cwd: '' }, false, 'cwd'],
    ['SystemWhichParams not a list', SystemWhichParamsSchema, { bins: 'notalist' }, false, 'bins'],
    ['SystemWhichParams empty list', SystemWhichParamsSchema, { bins: [] }, false, 'bins'],
    ['DevicePairApproveParams with without', DevicePairApproveParamsSchema, { requestId: 'r', without: ['system.run'] }, true, ''],
    ['DevicePairApproveParams missing requestId', DevicePairApproveParamsSchema, {}, false, 'missing required property "requestId"'],
    ['DeviceTokenRotateParams bad role', DeviceTokenRotateParamsSchema, { deviceId: 'd', role: 'admin' }, false, 'role'],
  ] as const)('%s', (_name, schema, params, valid, message) => {
    const validator = createValidator(schema);
    const value: unknown = JSON.parse(JSON.stringify(params));
    expect(validator.check(value), validator.lastError()).toBe(valid);
    if (!valid) expect(validator.lastError()).toContain(message);
  });
});

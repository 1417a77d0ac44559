import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, isLoopbackHost, readConfigFile, resolveGatewayConfig } from './config.js';
import { resolveAgentConfig } from './agent/agent-config.js';

const dirs: string[] = [];

function stateDir(fileText?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-config-'));
  dirs.push(dir);
  if (fileText !== undefined) writeFileSync(join(dir, 'tether.json'), fileText);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const FILE_TOKEN = 'file-token-0123456789';
const ENV_TOKEN = 'env-token-0123456789';
const FLAG_TOKEN = 'flag-token-0123456789';

const FULL_FILE = `// Tether gateway configuration
{
  gateway: {
    host: '127.0.0.2', // trailing comments are fine
    port: 20001,
    auth: { mode: 'token', token: '${FILE_TOKEN}' },
    tickIntervalMs: 5000,
  },
  /* block comment */
  pairing: { autoApproveLoopback: false },
  nodes: { invokeTimeoutMs: 1234 },
}
`;

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveGatewayConfig', () => {
  it('uses defaults when there is no tether.json', () => {
    const dir = stateDir();
    expect(resolveGatewayConfig(dir, {}, {})).toEqual({
      stateDir: dir,
      host: '127.0.0.1',
      port: 18789,
      authMode: 'token',
      autoApproveLoopback: true,
      tickIntervalMs: 30000,
      allowedOrigins: [],
      invokeTimeoutMs: 30000,
      allowCommands: [],
      denyCommands: [],
      agent: resolveAgentConfig(undefined, join(dir, 'agents', 'main'), {}),
      discovery: { mdns: 'auto', mdnsSource: 'default' },
      channels: {},
      configPath: join(dir, 'tether.json'),
      logging: {},
      tls: { enabled: false },
    });
  });

  it('TLS is on beyond loopback and off on loopback by default; forced either way by config or flag', () => {
    expect(resolveGatewayConfig(stateDir(), { host: '0.0.0.0' }, {}).tls).toEqual({ enabled: true });
    expect(resolveGatewayConfig(stateDir(), { host: '192.168.1.10' }, {}).tls.enabled).toBe(true);
    expect(resolveGatewayConfig(stateDir(), {}, {}).tls.enabled).toBe(false);
    expect(resolveGatewayConfig(stateDir('{ gateway: { tls: { enabled: true } } }'), {}, {}).tls.enabled).toBe(true);
    expect(resolveGatewayConfig(stateDir('{ gateway: { tls: { enabled: false } } }'), { host: '0.0.0.0' }, {}).tls.enabled).toBe(false);
    expect(resolveGatewayConfig(stateDir('{ gateway: { tls: { enabled: false } } }'), { tls: true }, {}).tls.enabled).toBe(true);
    const dir = stateDir('{ gateway: { tls: { certPath: "c.pem", keyPath: "/k.pem" } } }');
    expect(resolveGatewayConfig(dir, {}, {}).tls).toEqual({ enabled: false, certPath: join(dir, 'c.pem'), keyPath: '/k.pem' });
    expect(configError(() => resolveGatewayConfig(stateDir('{ gateway: { tls: { certPath: "c.pem" } } }'), {}, {})).message).toMatch(/both certPath and keyPath/);
    expect(configError(() => resolveGatewayConfig(stateDir('{ gateway: { tls: { enabled: "yes" } } }'), {}, {})).message).toMatch(/gateway\.tls\.enabled/);
    expect(configError(() => resolveGatewayConfig(stateDir('{ gateway: { tls: { enable: true } } }'), {}, {})).message).toMatch(/did you mean "gateway\.tls\.enabled"/);
  });

  it('reads allowed browser origins in the form browsers send them, and rejects anything that is not an origin', () => {
    const dir = stateDir('{ gateway: { allowedOrigins: ["HTTPS://UI.Example:443", "http://127.0.0.1:18789"] } }');
    expect(resolveGatewayConfig(dir, {}, {}).allowedOrigins).toEqual(['https://ui.example', 'http://127.0.0.1:18789']);
    for (const bad of ['*', 'null', 'https://ui.example/path', 'ftp://ui.example', 'https://user@ui.example', 'ui.example']) {
      const error = configError(() => resolveGatewayConfig(stateDir(JSON.stringify({ gateway: { allowedOrigins: [bad] } })), {}, {}));
      expect(error.message).toMatch(/gateway\.allowedOrigins\.0.*must be an origin/);
    }
  });

  it('reads command allow and deny lists, and rejects unknown command names', () => {
    const dir = stateDir('{ nodes: { allowCommands: ["file.*"], denyCommands: ["camera.clip"] } }');
    expect(resolveGatewayConfig(dir, {}, {})).toMatchObject({ allowCommands: ['file.*'], denyCommands: ['camera.clip'] });
    const bad = stateDir('{ nodes: { denyCommands: ["camera.snapp"] } }');
    const error = configError(() => resolveGatewayConfig(bad, {}, {}));
    expect(error.message).toContain('camera.snapp');
    expect(error.message).toContain('silently do nothing');
  });

  it('reads a JSON5 file with comments, unquoted keys and trailing commas', () => {
    const dir = stateDir(FULL_FILE);
    expect(resolveGatewayConfig(dir, {}, {})).toEqual({
      stateDir: dir,
      host: '127.0.0.2',
      port: 20001,
      authMode: 'token',
      token: FILE_TOKEN,
      autoApproveLoopback: false,
      tickIntervalMs: 5000,
      allowedOrigins: [],
      invokeTimeoutMs: 1234,
      allowCommands: [],
      denyCommands: [],
      agent: resolveAgentConfig(undefined, join(dir, 'agents', 'main'), {}),
      discovery: { mdns: 'auto', mdnsSource: 'default' },
      channels: {},
      configPath: join(dir, 'tether.json'),
      logging: {},
      tls: { enabled: false },
    });
  });

  it.each([
    ['flag beats env and file', { port: 30003, token: FLAG_TOKEN }, { TETHER_GATEWAY_PORT: '30002', TETHER_GATEWAY_TOKEN: ENV_TOKEN }, 30003, FLAG_TOKEN],
    ['env beats file', {}, { TETHER_GATEWAY_PORT: '30002', TETHER_GATEWAY_TOKEN: ENV_TOKEN }, 30002, ENV_TOKEN],
    ['file when env is absent', {}, {}, 20001, FILE_TOKEN],
    ['empty env values are ignored', {}, { TETHER_GATEWAY_PORT: '', TETHER_GATEWAY_TOKEN: '' }, 20001, FILE_TOKEN],
    ['flag port 0 (ephemeral) beats env', { port: 0 }, { TETHER_GATEWAY_PORT: '30002' }, 0, FILE_TOKEN],
  ])('precedence: %s', (_name, overrides, env, port, token) => {
    const config = resolveGatewayConfig(stateDir(FULL_FILE), overrides, env);
    expect(config.port).toBe(port);
    expect(config.token).toBe(token);
  });

  it('falls back to the default port when neither flag, env nor file set it', () => {
    const config = resolveGatewayConfig(stateDir('{ gateway: { host: "localhost" } }'), {}, { TETHER_GATEWAY_TOKEN: ENV_TOKEN });
    expect(config.port).toBe(18789);
    expect(config.token).toBe(ENV_TOKEN);
    expect(config.host).toBe('localhost');
  });

  it('flags override host and autoApproveLoopback from the file', () => {
    const config = resolveGatewayConfig(stateDir(FULL_FILE), { host: '::1', autoApproveLoopback: true }, {});
    expect(config.host).toBe('::1');
    expect(config.autoApproveLoopback).toBe(true);
  });

  it('does not read process.env when an env object is passed', () => {
    const saved = process.env.TETHER_GATEWAY_PORT;
    process.env.TETHER_GATEWAY_PORT = '31999';
    try {
      expect(resolveGatewayConfig(stateDir(), {}, {}).port).toBe(18789);
    } finally {
      if (saved === undefined) delete process.env.TETHER_GATEWAY_PORT;
      else process.env.TETHER_GATEWAY_PORT = saved;
    }
  });
});

describe('resolveGatewayConfig: refusals', () => {
  it('names an unknown key and suggests the right one', () => {
    const error = configError(() => resolveGatewayConfig(stateDir('{ gateway: { prot: 1234 } }'), {}, {}));
    expect(error.message).toContain('unknown key "gateway.prot"');
    expect(error.message).toContain('did you mean "gateway.port"?');
    expect(error.message).toContain('tether.json');
  });

  it('names an unknown top-level key', () => {
    const error = configError(() => resolveGatewayConfig(stateDir('{ pairng: {} }'), {}, {}));
    expect(error.message).toContain('unknown key "pairng"');
    expect(error.message).toContain('did you mean "pairing"?');
  });

  it.each([
    ['port as a string', '{ gateway: { port: "x" } }', '"gateway.port"'],
    ['port out of range', '{ gateway: { port: 70000 } }', '"gateway.port"'],
    ['fractional port', '{ gateway: { port: 80.5 } }', '"gateway.port"'],
    ['unknown auth mode', '{ gateway: { auth: { mode: "password" } } }', '"gateway.auth.mode"'],
    ['autoApproveLoopback not boolean', '{ pairing: { autoApproveLoopback: "yes" } }', '"pairing.autoApproveLoopback"'],
    ['invokeTimeoutMs too small', '{ nodes: { invokeTimeoutMs: 5 } }', '"nodes.invokeTimeoutMs"'],
    ['short token in file', '{ gateway: { auth: { token: "short" } } }', 'must be at least 16 characters'],
    ['root is an array', '[1, 2]', 'invalid configuration'],
  ])('wrong type: %s', (_name, text, fragment) => {
    const error = configError(() => resolveGatewayConfig(stateDir(text), {}, {}));
    expect(error.message).toContain(fragment);
    expect(error.message).toContain('invalid configuration in');
  });

  it.each([
    ['unclosed object', '{ gateway: { port: 1 }'],
    ['bare word', 'port = 1'],
    ['empty file', ''],
  ])('invalid JSON5: %s', (_name, text) => {
    const error = configError(() => resolveGatewayConfig(stateDir(text), {}, {}));
    expect(error.message).toContain('is not valid JSON5');
    expect(error.message).toContain('Fix the syntax or delete the file');
  });

  it.each(['abc', '-1', '65536', '80.5', '8080tcp', ' ', '0x50', '1e3'])('bad TETHER_GATEWAY_PORT %j', (raw) => {
    const error = configError(() => resolveGatewayConfig(stateDir(), {}, { TETHER_GATEWAY_PORT: raw }));
    expect(error.message).toContain('TETHER_GATEWAY_PORT must be a port number from 0 to 65535');
    expect(error.message).toContain(`"${raw}"`);
  });

  it.each([
    ['flag', { token: 'fifteen-chars-x' }, {}],
    ['env', {}, { TETHER_GATEWAY_TOKEN: 'short' }],
  ])('token shorter than 16 characters from %s', (_name, overrides, env) => {
    const error = configError(() => resolveGatewayConfig(stateDir(), overrides, env));
    expect(error.message).toContain('at least 16 characters');
  });

  it('accepts a token of exactly 16 characters', () => {
    expect(resolveGatewayConfig(stateDir(), { token: 'sixteen-chars-xx' }, {}).token).toBe('sixteen-chars-xx');
  });

  it.each([
    ['file host', '{ gateway: { host: "0.0.0.0", auth: { mode: "none" } } }', {}],
    ['flag host', '{ gateway: { auth: { mode: "none" } } }', { host: '0.0.0.0' }],
  ])('auth.mode "none" on 0.0.0.0 is refused (%s)', (_name, text, overrides) => {
    const error = configError(() => resolveGatewayConfig(stateDir(text), overrides, {}));
    expect(error.message).toContain('refusing to listen on 0.0.0.0 without auth');
    expect(error.message).toContain('gateway.auth.mode');
  });

  it('auth.mode "none" on loopback is allowed', () => {
    expect(resolveGatewayConfig(stateDir('{ gateway: { auth: { mode: "none" } } }'), {}, {}).authMode).toBe('none');
  });
});

describe('readConfigFile and isLoopbackHost', () => {
  it('returns {} for a missing file', () => {
    expect(readConfigFile(stateDir())).toEqual({});
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['192.168.1.5', false],
    ['::', false],
  ])('isLoopbackHost(%s) → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('agent config', () => {
  it('is off without a model; env wins over the file for model, endpoint and key', () => {
    expect(resolveGatewayConfig(stateDir(), {}, {}).agent.model).toBeUndefined();
    const dir = stateDir('{ agent: { model: "file-model", baseUrl: "http://127.0.0.1:11434/v1/", apiKey: "file-key" } }');
    expect(resolveGatewayConfig(dir, {}, {}).agent).toMatchObject({ model: 'file-model', baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'file-key' });
    const env = { TETHER_AGENT_MODEL: 'env-model', TETHER_AGENT_BASE_URL: 'http://127.0.0.1:8080/v1', OPENAI_API_KEY: 'env-key' };
    expect(resolveGatewayConfig(dir, {}, env).agent).toMatchObject({ model: 'env-model', baseUrl: 'http://127.0.0.1:8080/v1', apiKey: 'env-key' });
  });

  it('never gives the agent pairing, approvals or admin', () => {
    for (const scope of ['operator.pairing', 'operator.approvals', 'operator.admin']) {
      const error = configError(() => resolveGatewayConfig(stateDir(JSON.stringify({ agent: { model: 'm', scopes: ['operator.read', scope] } })), {}, {}));
      expect(error.message).toMatch(/agent\.scopes.*never given to a model/);
    }
    expect(resolveGatewayConfig(stateDir('{ agent: { scopes: ["operator.read"] } }'), {}, {}).agent.scopes).toEqual(['operator.read']);
  });

  it('names a misspelt agent key', () => {
    const error = configError(() => resolveGatewayConfig(stateDir('{ agent: { modle: "x" } }'), {}, {}));
    expect(error.message).toMatch(/unknown key "agent\.modle": did you mean "agent\.model"/);
  });
});

describe('discovery config', () => {
  it('flag beats TETHER_MDNS beats the file; a bad TETHER_MDNS is a config error naming it', () => {
    const dir = stateDir('{ discovery: { mdns: "on", name: "Kitchen Pi" } }');
    expect(resolveGatewayConfig(dir, {}, {}).discovery).toMatchObject({ mdns: 'on', mdnsSource: 'config', name: 'Kitchen Pi' });
    expect(resolveGatewayConfig(dir, {}, { TETHER_MDNS: 'off' }).discovery).toMatchObject({ mdns: 'off', mdnsSource: 'env' });
    expect(resolveGatewayConfig(dir, { mdns: 'auto' }, { TETHER_MDNS: 'off' }).discovery).toMatchObject({ mdns: 'auto', mdnsSource: 'flag' });
    expect(configError(() => resolveGatewayConfig(dir, {}, { TETHER_MDNS: 'loud' })).message).toMatch(/TETHER_MDNS/);
  });
});

describe('channels config', () => {
  it('reads the bot token from ${ENV}, and says which variable is missing without showing any token', () => {
    const dir = stateDir('{ channels: { telegram: { botToken: "${TG_TOKEN}", allowFrom: ["tg:42"] } } }');
    const telegram = resolveGatewayConfig(dir, {}, { TG_TOKEN: '123:SECRET' }).channels.telegram!;
    expect(telegram).toMatchObject({ botToken: '123:SECRET', dmPolicy: 'pairing', allowFrom: ['42'] });
    const error = configError(() => resolveGatewayConfig(dir, {}, {}));
    expect(error.message).toMatch(/TG_TOKEN is not set/);
    expect(error.message).not.toContain('SECRET');
  });

  it('refuses a platform endpoint in the clear beyond this machine (the bot token travels in it)', () => {
    const config = (channels: unknown) => stateDir(JSON.stringify({ channels }));
    for (const channels of [
      { telegram: { botToken: 't', apiRoot: 'http://192.168.1.5:8081' } },
      { discord: { token: 't', apiBase: 'http://proxy.lan/api' } },
      { slack: { botToken: 'xoxb-1', appToken: 'xapp-1', apiUrl: 'http://slack.proxy/api/' } },
      { whatsapp: { wsUrl: 'ws://10.0.0.2/ws/chat' } },
    ]) {
      expect(configError(() => resolveGatewayConfig(config(channels), {}, {})).message).toMatch(/must be (https|wss):\/\/ \(plain (http|ws):\/\/ only to this machine/);
    }
    expect(resolveGatewayConfig(config({ telegram: { botToken: 't', apiRoot: 'http://127.0.0.1:8081' } }), {}, {}).channels.telegram).toMatchObject({ apiRoot: 'http://127.0.0.1:8081' });
    expect(resolveGatewayConfig(config({ discord: { token: 't', apiBase: 'https://proxy.example/api' } }), {}, {}).channels.discord).toMatchObject({ apiBase: 'https://proxy.example/api' });
  });

  it('refuses an open DM policy without an explicit "*", and a misspelt key', () => {
    expect(configError(() => resolveGatewayConfig(stateDir('{ channels: { telegram: { botToken: "t", dmPolicy: "open", allowFrom: ["42"] } } }'), {}, {})).message).toMatch(/needs allowFrom: \["\*"\]/);
    expect(configError(() => resolveGatewayConfig(stateDir('{ channels: { telegram: { botToken: "t", dmPolicey: "open" } } }'), {}, {})).message).toMatch(/did you mean "channels\.telegram\.dmPolicy"/);
  });
});

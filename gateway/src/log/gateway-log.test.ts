import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childLogger, GatewayLog } from './gateway-log.js';
import { LogFollowers } from './followers.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(env: NodeJS.ProcessEnv = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), 'tether-gwlog-'));
  dirs.push(stateDir);
  const stderr: string[] = [];
  const log = new GatewayLog({ stateDir, env, stderr: (line) => stderr.push(line) });
  const file = () => readFileSync(join(stateDir, 'logs', 'gateway.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, stderr, file };
}

describe('GatewayLog', () => {
  it("keeps today's stderr format and writes JSON records", () => {
    const { log, stderr, file } = setup();
    log.logger.info('listening');
    childLogger(log.logger, 'channels').warn('telegram: dropped', { chat: 42 });
    expect(stderr).toEqual(['[gateway] listening', '[gateway] warn: telegram: dropped chat=42']);
    expect(file()).toMatchObject([
      { level: 'info', subsystem: 'gateway', msg: 'listening' },
      { level: 'warn', subsystem: 'channels', msg: 'telegram: dropped', chat: 42 },
    ]);
    log.close();
  });

  it('a message or field with a newline or ESC is one escaped stderr line (no forged journal entry); the file keeps it exactly', () => {
    const { log, stderr, file } = setup();
    log.logger.info('hi\n[gateway] error: fake\u001b[2J', { who: 'x\ny' });
    expect(stderr).toEqual(['[gateway] hi\\x0a[gateway] error: fake\\x1b[2J who=x\\x0ay']);
    expect(stderr[0]).not.toMatch(/[\n\u001b]/);
    expect(file()[0]).toMatchObject({ msg: 'hi\n[gateway] error: fake\u001b[2J', who: 'x\ny' });
    log.close();
  });

  it('redacts messages and fields; fields cannot shadow the record keys', () => {
    const { log, stderr, file } = setup();
    log.logger.info('got Bearer abcdefghijk', { token: 'plain', nested: { password: 'x', url: '/?token=zzz' }, level: 'fake' });
    expect(stderr[0]).not.toMatch(/abcdefghijk|plain|zzz/);
    expect(file()[0]).toMatchObject({ level: 'info', msg: 'got Bearer [redacted]', token: '[redacted]', nested: { password: '[redacted]', url: '/?token=[redacted]' } });
    log.close();
  });

  it('levels per subsystem from the environment, and setLevels from the config', () => {
    const { log, stderr } = setup({ TETHER_LOG_LEVEL: 'warn,channels=debug' });
    const channels = childLogger(log.logger, 'channels');
    const agent = childLogger(log.logger, 'agent');
    log.logger.info('hidden');
    channels.debug('shown');
    agent.info('hidden');
    log.setLevels({ level: 'debug', subsystems: { agent: 'error' } });
    agent.info('still hidden: the environment names a default');
    agent.warn('shown too');
    expect(stderr).toEqual(['[gateway] debug: shown', '[gateway] warn: shown too']);
    log.close();
  });

  it('a bad TETHER_LOG_LEVEL entry is a warning, not a silent no-op', () => {
    const { log, stderr } = setup({ TETHER_LOG_LEVEL: 'loud' });
    expect(stderr[0]).toContain('TETHER_LOG_LEVEL: "loud" has no valid level');
    log.close();
  });
});

describe('LogFollowers', () => {
  it('sends records to the one follower, after start, filtered, and forgets closed ones', async () => {
    const { log } = setup();
    const followers = new LogFollowers(log);
    const got: unknown[] = [];
    const other: unknown[] = [];
    const target = { isOpen: true, sendEvent: (_e: string, p: unknown) => got.push(p) };
    const start = followers.add(target, { level: 'warn' })!;
    log.logger.warn('early');
    log.logger.info('filtered out');
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([]);
    start.start();
    await new Promise((r) => setImmediate(r));
    expect(got).toMatchObject([{ record: { msg: 'early' } }]);
    expect(other).toEqual([]);
    target.isOpen = false;
    log.logger.warn('late');
    await new Promise((r) => setImmediate(r));
    expect(got).toHaveLength(1);
    expect(followers.size).toBe(0);
    log.close();
  });

  it('drops past its rate and says how many', async () => {
    const { log } = setup();
    const followers = new LogFollowers(log, () => 0);
    const got: { record?: unknown; dropped?: number }[] = [];
    followers.add({ isOpen: true, sendEvent: (_e, p) => got.push(p as never) }, {})!.start();
    for (let i = 0; i < 1200; i++) log.logger.info(`n${i}`);
    await new Promise((r) => setImmediate(r));
    expect(got.length).toBe(500);
    followers.close();
    log.close();
  });
});

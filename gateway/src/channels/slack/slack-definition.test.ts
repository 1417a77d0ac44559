import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ChannelsConfigError } from '../channel-definition.js';
import { resolveChannelsConfig } from '../channels-config.js';
import { normaliseSlackId, slackDefinition } from './slack-definition.js';

const BOT = 'xoxb-1-2-definition-secret';
const APP = 'xapp-1-A1-definition-secret';
const resolve = (file: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => slackDefinition.resolve(file, env);
const error = (file: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
  try {
    resolve(file, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ChannelsConfigError);
    return (e as Error).message;
  }
  throw new Error('resolved without an error');
};

describe('channels.slack config', () => {
  it('defaults to Socket Mode and the real Web API; tokens from ${ENV}; ids normalised', () => {
    const config = resolve({ botToken: '${SLACK_BOT}', appToken: '${SLACK_APP}', allowFrom: ['slack:u0ada', 'W0ENT'], approvers: ['U0ADA'] }, { SLACK_BOT: BOT, SLACK_APP: APP });
    expect(config).toMatchObject({ botToken: BOT, appToken: APP, mode: 'socket', apiUrl: 'https://slack.com/api/', allowFrom: ['U0ADA', 'W0ENT'], approvers: ['U0ADA'], dmPolicy: 'pairing' });
    expect(resolve({ botToken: BOT, appToken: APP, apiUrl: 'http://127.0.0.1:5/api' }).apiUrl).toBe('http://127.0.0.1:5/api/');
    expect(normaliseSlackId(' Slack:U0X ')).toBe('U0X');
  });

  it('Socket Mode needs an xapp- appToken, HTTP mode a signingSecret and http; errors name the key, never the value', () => {
    expect(error({ botToken: BOT })).toMatch(/^channels\.slack\.appToken is required for Socket Mode/);
    expect(error({ botToken: BOT, appToken: 'xoxb-not-an-app-token' })).toMatch(/channels\.slack\.appToken must be an app-level token/);
    expect(error({ botToken: BOT, mode: 'http', http: { port: 3000 } })).toMatch(/^channels\.slack\.signingSecret is required for mode "http"/);
    expect(error({ botToken: BOT, mode: 'http', signingSecret: 's' })).toMatch(/^channels\.slack\.http is required/);
    expect(resolve({ botToken: BOT, mode: 'http', signingSecret: 's3cret', http: { port: 3001 } })).toMatchObject({ mode: 'http', signingSecret: 's3cret', http: { port: 3001, path: '/slack/events', host: '127.0.0.1' } });
    const swapped = error({ botToken: APP, appToken: BOT });
    expect(swapped).toMatch(/channels\.slack\.botToken is an app-level token/);
    expect(swapped).not.toContain('definition-secret');
    expect(error({ botToken: '${NOPE}', appToken: APP })).toMatch(/environment variable NOPE is not set/);
  });

  it('refuses ids that are not Slack member ids, and the open door without "*"', () => {
    expect(error({ botToken: BOT, appToken: APP, allowFrom: ['@ada'] })).toMatch(/channels\.slack\.allowFrom: "@ada" is not a Slack member id/);
    expect(error({ botToken: BOT, appToken: APP, approvers: ['C0CHANNEL'] })).toMatch(/channels\.slack\.approvers/);
    expect(error({ botToken: BOT, appToken: APP, owners: ['U0\u001b[2J'] })).not.toContain('\u001b');
    expect(error({ botToken: BOT, appToken: APP, dmPolicy: 'open', allowFrom: ['U0ADA'] })).toMatch(/"\*"/);
  });

  it('the file schema is strict and checks mode and http', () => {
    expect(slackDefinition.fileSchema.safeParse({ botToken: BOT, appToken: APP, signingsecret: 'x' }).success).toBe(false);
    expect(slackDefinition.fileSchema.safeParse({ botToken: BOT, mode: 'webhook' }).success).toBe(false);
    expect(slackDefinition.fileSchema.safeParse({ botToken: BOT, mode: 'http', http: { port: 70_000 } }).success).toBe(false);
    expect(slackDefinition.fileSchema.safeParse({ botToken: BOT, apiUrl: 'ftp://x/' }).success).toBe(false);
    expect(resolveChannelsConfig({ slack: { botToken: BOT, appToken: APP } }, {}).slack).toMatchObject({ mode: 'socket' });
  });

  it('loading the definition (and the registry) does not load Bolt', () => {
    const cache = createRequire(import.meta.url).cache;
    expect(Object.keys(cache).filter((path) => /[\\/]@slack[\\/]|[\\/]undici[\\/]/.test(path))).toEqual([]);
    for (const file of ['slack-definition.ts', 'slack-channel.ts', 'slack-inbound.ts', 'slack-format.ts', 'slack-sdk-glue.ts']) {
      const source = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
      // Only type imports of the SDK at the top level; the value import is the dynamic one in load().
      expect(source.match(/^import\s+(?!type\b)[^;]*from\s+'(@slack\/[^']+|undici)'/gm) ?? []).toEqual([]);
    }
    expect(readFileSync(new URL('./slack-definition.ts', import.meta.url), 'utf8')).toContain("await import('./slack-channel.js')");
  });
});

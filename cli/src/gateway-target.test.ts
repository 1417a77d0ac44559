import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTarget } from './gateway-target.js';

const dirs: string[] = [];
function stateDir(runtime?: { url: string; pid: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-target-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'gateway.token'), 'owner-token-0123456789abcdef\n');
  if (runtime) writeFileSync(join(dir, 'gateway.json'), JSON.stringify({ ...runtime, host: '127.0.0.1', port: 1, startedAtMs: 0, version: 'x' }));
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the owner token goes only to the gateway this state dir runs', () => {
  it('is sent to the URL a live gateway recorded', () => {
    const dir = stateDir({ url: 'ws://127.0.0.1:41234', pid: process.pid });
    expect(resolveTarget({ stateDir: dir }, {})).toMatchObject({ url: 'ws://127.0.0.1:41234', token: 'owner-token-0123456789abcdef' });
  });

  it('is not sent to whatever listens on the default port while no gateway runs', () => {
    const dir = stateDir();
    expect(resolveTarget({ stateDir: dir }, {})).toMatchObject({ url: 'ws://127.0.0.1:18789', token: undefined });
  });

  it('is not sent when the recorded gateway is dead (a crash left its runtime file)', () => {
    const dir = stateDir({ url: 'ws://127.0.0.1:18789', pid: 2 ** 22 + 12345 });
    expect(resolveTarget({ stateDir: dir }, {}).token).toBeUndefined();
  });

  it('is never sent to a URL someone typed', () => {
    const dir = stateDir({ url: 'ws://127.0.0.1:41234', pid: process.pid });
    expect(resolveTarget({ stateDir: dir, url: 'ws://127.0.0.1:18789' }, {}).token).toBeUndefined();
  });
});

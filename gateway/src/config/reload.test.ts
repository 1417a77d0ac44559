import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveGatewayConfig, type GatewayConfig } from '../config.js';
import type { Logger } from '../log.js';
import { ConfigReloader, type ConfigReloadEvent } from './reload.js';

function setup(text: string, overrides = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tether-reload-'));
  writeFileSync(join(dir, 'tether.json'), text);
  let config: GatewayConfig = resolveGatewayConfig(dir, overrides, {});
  const events: ConfigReloadEvent[] = [];
  const lines: string[] = [];
  const log: Logger = { debug: () => undefined, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  const reloader = new ConfigReloader({ stateDir: dir, overrides, env: {}, files: [], getConfig: () => config, setConfig: (c) => (config = c), log, emit: (e) => events.push(e) });
  return { dir, reloader, events, lines, config: () => config, write: (t: string) => writeFileSync(join(dir, 'tether.json'), t) };
}

describe('ConfigReloader', () => {
  it('keeps the last good config on garbage, reports it loudly, and keeps `since` while the error is the same', () => {
    const t = setup('{ nodes: { denyCommands: ["system.run"] } }');
    t.write('{ nodes: ');
    const failed = t.reloader.reload();
    expect(failed).toMatchObject({ ok: false, error: expect.stringMatching(/not valid JSON5/) });
    expect(t.config().denyCommands).toEqual(['system.run']);
    expect(t.lines.some((l) => l.startsWith('error config reload failed, the last good configuration stays in force'))).toBe(true);
    const since = t.reloader.status().since;
    t.reloader.reload();
    expect(t.reloader.status()).toMatchObject({ ok: false, since });
    t.write('{ nodes: { denyCommands: [] } }');
    expect(t.reloader.reload()).toMatchObject({ ok: true, applied: ['nodes.denyCommands'], restartRequired: [] });
    expect(t.config().denyCommands).toEqual([]);
    expect(t.reloader.status().ok).toBe(true);
  });

  it('applies live keys, keeps restart-required ones at their running value and names them', () => {
    const t = setup('{ gateway: { port: 20001 } }');
    t.write('{ gateway: { port: 20002, tickIntervalMs: 5000 }, nodes: { invokeTimeoutMs: 999 }, pairing: { autoApproveLoopback: false } }');
    const event = t.reloader.reload();
    expect(event.applied).toEqual(['nodes.invokeTimeoutMs', 'pairing.autoApproveLoopback']);
    expect(event.restartRequired).toEqual(['gateway.port', 'gateway.tickIntervalMs']);
    expect(t.config()).toMatchObject({ port: 20001, invokeTimeoutMs: 999, autoApproveLoopback: false });
    expect(t.reloader.status().restartRequired).toEqual(['gateway.port', 'gateway.tickIntervalMs']);
    // Changing it back clears the pending restart.
    t.write('{ gateway: { port: 20001 }, nodes: { invokeTimeoutMs: 999 }, pairing: { autoApproveLoopback: false } }');
    t.reloader.reload();
    expect(t.reloader.status().restartRequired).toBeUndefined();
  });

  it('a reload error in status and events is bounded and carries no secret', () => {
    const t = setup('{}');
    t.write(JSON.stringify({ nodes: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`unknown${i}`, 1])), gateway: { auth: { token: 'short' } } }));
    const event = t.reloader.reload();
    expect(event.ok).toBe(false);
    expect(event.error!.length).toBeLessThanOrEqual(2_100);
    expect(event.error).toMatch(/more characters; run tether config validate/);
  });

  it('applies log levels live; a bad level is refused and the old levels stay', () => {
    const t = setup('{}');
    t.write('{ logging: { level: "warn", subsystems: { channels: "debug" } } }');
    expect(t.reloader.reload()).toMatchObject({ ok: true, applied: ['logging'], restartRequired: [] });
    expect(t.config().logging).toEqual({ level: 'warn', subsystems: { channels: 'debug' } });
    t.write('{ logging: { level: "loud", subsystems: { "Bad Name": "debug" } } }');
    expect(t.reloader.reload()).toMatchObject({ ok: false, error: expect.stringMatching(/logging/) });
    expect(t.config().logging).toEqual({ level: 'warn', subsystems: { channels: 'debug' } });
  });

  it('does not report a file change that a flag overrides, nor an unchanged file', () => {
    const t = setup('{ gateway: { port: 20001 } }', { port: 0 });
    t.write('{ gateway: { port: 20002 } }');
    expect(t.reloader.reload()).toMatchObject({ ok: true, applied: [], restartRequired: [] });
    expect(t.events).toEqual([]);
  });
});

/**
 * Hot reload of tether.json against a real gateway process: `tether config set` applies a deny list
 * live, garbage in the file is reported loudly (status, health, a `config` event) while the old
 * config keeps working, fixing it clears the error, a port change says restart, SIGHUP reloads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient, GatewayError, type HealthResult, type StatusResult } from '@tether/protocol';
import { answerInvokes, connectTestNode, sharedToken, type TestNode } from './helpers/clients.js';
import { cleanup, eventually, runTether, runTetherJson, spawnTether, stop, tempDir, type GatewayProcess } from './helpers/processes.js';

afterAll(cleanup);

describe('config hot reload', () => {
  let gateway: GatewayProcess;
  let operator: GatewayClient;
  let node: TestNode;
  const events: { ok: boolean; error?: string; applied?: string[]; restartRequired?: string[] }[] = [];
  const gw = () => ['--state-dir', gateway.stateDir];
  const configPath = () => join(gateway.stateDir, 'tether.json');
  const status = () => operator.request<StatusResult>('status', {});
  const run = (nodeId: string) => operator.request<unknown>('node.invoke', { nodeId, command: 'system.run', params: { command: ['true'] }, idempotencyKey: crypto.randomUUID(), timeoutMs: 5_000 });
  const refusal = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      return error as GatewayError;
    }
    return undefined;
  };

  beforeAll(async () => {
    // The port comes from the file (no --port flag, which would win over it), so changing it means a restart.
    const stateDir = tempDir('tether-gw-');
    writeFileSync(join(stateDir, 'tether.json'), '{ gateway: { port: 0 } }', { mode: 0o600 });
    const spawned = spawnTether(['gateway', 'run', '--state-dir', stateDir]);
    const match = await spawned.waitFor(/\{"event":"listening","url":"([^"]+)","port":(\d+)/);
    gateway = { ...spawned, url: match[1]!, port: Number(match[2]), stateDir };
    operator = new GatewayClient({
      url: gateway.url,
      token: sharedToken(gateway.stateDir),
      role: 'operator',
      scopes: ['operator.read', 'operator.write'],
      client: { id: 'test', mode: 'test', version: 'test', platform: 'linux' },
      onEvent: (event, payload) => {
        if (event === 'config') events.push(payload as (typeof events)[number]);
      },
    });
    await operator.connect();
    node = await connectTestNode(gateway.url, { token: sharedToken(gateway.stateDir), commands: ['system.run', 'system.which'] });
    answerInvokes(node, () => ({ payload: { exitCode: 0, timedOut: false, success: true, stdout: '', stderr: '', error: null } }));
  });

  afterAll(async () => {
    await operator?.close();
    await node?.client.close();
    if (gateway) await stop(gateway.child);
  });

  it('applies nodes.denyCommands live: system.run is refused without a restart', async () => {
    const nodeId = node.identity.deviceId;
    await expect(run(nodeId)).resolves.toBeDefined();
    const set = await runTether(['config', 'set', 'nodes.denyCommands', '["system.run"]', ...gw()]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('Set nodes.denyCommands');
    const refused = await eventually(async () => refusal(run(nodeId)));
    expect(refused.message).toMatch(/system\.run/);
    await eventually(async () => events.find((e) => e.ok && e.applied?.includes('nodes.denyCommands')));
    expect((await status()).config).toMatchObject({ ok: true });
  });

  it('reports garbage loudly (status, health, event, log) and keeps the last good config in force', async () => {
    writeFileSync(configPath(), '{ nodes: { denyCommands: [ "system.run" ', { mode: 0o600 });
    const bad = await eventually(async () => ((await status()).config?.ok === false ? (await status()).config : undefined));
    expect(bad?.error).toMatch(/not valid JSON5/);
    expect(bad?.path).toBe(configPath());
    const health = await operator.request<HealthResult>('health', {});
    expect(health.config).toMatchObject({ ok: false });
    const text = await runTether(['gateway', 'status', ...gw()]);
    expect(text.stdout).toMatch(/Config:\s+INVALID since .*the last good configuration is in force: .*not valid JSON5/);
    await eventually(async () => events.find((e) => !e.ok && /JSON5/.test(e.error ?? '')));
    await eventually(async () => (/config reload failed, the last good configuration stays in force/.test(gateway.output()) ? true : undefined));
    // The old config still works: system.run is still refused.
    expect(await refusal(run(node.identity.deviceId))).toBeDefined();

    writeFileSync(configPath(), '{ nodes: { denyCommands: [] } }', { mode: 0o600 });
    await eventually(async () => ((await status()).config?.ok === true ? true : undefined));
    await expect(run(node.identity.deviceId)).resolves.toBeDefined();
  });

  it('says a port change needs a restart, and reloads on SIGHUP', async () => {
    const set = await runTether(['config', 'set', 'gateway.port', String(gateway.port + 1), ...gw()]);
    expect(set.code, set.stderr).toBe(0);
    const pending = await eventually(async () => ((await status()).config?.restartRequired?.includes('gateway.port') ? (await status()).config : undefined));
    expect(pending?.ok).toBe(true);
    await eventually(async () => events.find((e) => e.restartRequired?.includes('gateway.port')));
    expect((await status()).listen.port).toBe(gateway.port);
    const text = await runTether(['gateway', 'status', ...gw()]);
    expect(text.stdout).toMatch(/Config:\s+ok; restart the gateway to apply gateway.port/);

    const before = events.length;
    process.kill(gateway.child.pid!, 'SIGHUP');
    await eventually(async () => (/SIGHUP: reloading the configuration/.test(gateway.output()) ? true : undefined));
    expect(gateway.child.exitCode).toBeNull();
    // Nothing changed since the last load, so no new event; the gateway is still up.
    expect(events.length).toBe(before);
    await expect(runTetherJson<StatusResult>(['gateway', 'status', ...gw()])).resolves.toMatchObject({ config: { ok: true } });
  });
});

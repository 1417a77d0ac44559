/** Starting and stopping a real gateway: SIGTERM order, one gateway per state dir, bad config, `tether up`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildUiLoginPayload, GatewayError } from '@tether/protocol';
import { cleanup, eventually, runTether, spawnTether, startGatewayProcess, tempDir, ownerTokenEnv } from './helpers/processes.js';
import { connectOperator, connectTestNode, sharedToken } from './helpers/clients.js';
import { newTestKey } from './helpers/raw-client.js';

afterAll(cleanup);

describe('gateway lifecycle', () => {
  it('on SIGTERM: shutdown event, pending invokes failed, close 1012, exit 0', async () => {
    const gateway = await startGatewayProcess();
    const operator = await connectOperator(gateway.url, gateway.stateDir);
    const node = await connectTestNode(gateway.url, { token: sharedToken(gateway.stateDir) });
    const pending = operator
      .request('node.invoke', { nodeId: node.identity.deviceId, command: 'system.which', idempotencyKey: 'k1', timeoutMs: 20_000 })
      .then(() => undefined, (error: unknown) => error);
    await node.waitForEvent('node.invoke.request');
    gateway.child.kill('SIGTERM');
    const shutdown = await node.waitForEvent('shutdown');
    expect(shutdown.reason).toMatch(/stopping/);
    const error = (await pending) as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.details).toMatchObject({ code: 'SHUTTING_DOWN' });
    expect(error.retryable).toBe(true);
    expect(await node.disconnected).toBe('1012 service restart');
    expect(await gateway.exited).toBe(0);
    await operator.close();
    await node.client.close();
  });

  it('refuses a second gateway on the same state dir', async () => {
    const gateway = await startGatewayProcess();
    const second = await runTether(['gateway', 'run', '--port', '0', '--state-dir', gateway.stateDir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another gateway (pid ${gateway.child.pid}) is already running`);
  });

  it('names a misspelt config key and the fix', async () => {
    const stateDir = tempDir();
    writeFileSync(join(stateDir, 'tether.json'), '{ gateway: { prot: 1234 } } // oops\n');
    const result = await runTether(['gateway', 'run', '--state-dir', stateDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown key "gateway.prot": did you mean "gateway.port"?');
  });

  it('`tether up` pairs this machine silently and the suggested command works', async () => {
    const stateDir = tempDir();
    const up = spawnTether(['up', '--port', '0', '--state-dir', stateDir, '--display-name', 'this-box']);
    await up.waitFor(/Press Ctrl\+C to stop/, 15_000);
    expect(up.output()).toContain('This machine is paired as node "this-box".');
    const suggested = up.output().match(/npx tether nodes run (.*) -- uname -a/);
    expect(suggested).not.toBeNull();
    const run = await runTether(['nodes', 'run', '--state-dir', stateDir, '--node', 'this-box', '--', 'uname', '-s']);
    expect(run.stdout).toBe('Linux\n');
    const denied = await runTether(['nodes', 'run', '--state-dir', stateDir, '--node', 'this-box', '--', 'id']);
    expect(denied.code).toBe(1);
    // The printed Control UI link logs a browser in (its key paired as an operator device).
    const link = /Control UI: (http:\/\/127\.0\.0\.1:\d+\/#code=(\S+))/.exec(up.output());
    expect(link, up.output()).not.toBeNull();
    const key = newTestKey();
    const login = await fetch(new URL('/ui/login', link![1]), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: link![2], publicKey: key.publicKey, signature: key.sign(buildUiLoginPayload(key.publicKey, link![2]!)) }),
    });
    expect(login.status).toBe(200);
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
  });

  it('the node-agent comes back by itself after the gateway was down', async () => {
    const gateway = await startGatewayProcess();
    const nodeDir = tempDir();
    const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'resilient'], ownerTokenEnv(gateway));
    await node.waitFor(/connected to/);
    gateway.child.kill('SIGKILL');
    await node.waitFor(/not connected/);
    await new Promise((r) => setTimeout(r, 1_500));
    const restarted = await startGatewayProcess({ stateDir: gateway.stateDir, port: gateway.port });
    const operator = await connectOperator(restarted.url, restarted.stateDir);
    const nodes = await eventually(async () => {
      const list = await operator.request<{ nodes: { displayName: string; connected: boolean }[] }>('node.list', {});
      return list.nodes.some((n) => n.connected) ? list.nodes : undefined;
    }, 35_000, 200);
    expect(nodes[0]).toMatchObject({ displayName: 'resilient', connected: true });
    await operator.close();
  }, 45_000);
});

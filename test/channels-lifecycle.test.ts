/**
 * A chat platform that never answers must not hold the gateway: with channels.telegram pointing at a
 * server that accepts connections and then says nothing, the gateway still starts and serves, shows the
 * channel as starting, and exits on SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runTetherJson, startGatewayProcess, tempDir } from './helpers/processes.js';

let silent: Server;
let port: number;
beforeAll(async () => {
  // Reads each request and never answers it.
  silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as AddressInfo).port;
});
afterAll(async () => {
  await cleanup();
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
});

describe('a chat platform that never answers', () => {
  it('does not hold the gateway: it serves, shows the channel starting, and stops on SIGTERM', async () => {
    const stateDir = tempDir('tether-silent-');
    writeFileSync(join(stateDir, 'tether.json'), JSON.stringify({ channels: { telegram: { botToken: '1:SILENT', apiRoot: `http://127.0.0.1:${port}` } } }));
    const gateway = await startGatewayProcess({ stateDir });
    const { channels } = await runTetherJson<{ channels: { name: string; state: string }[] }>(['channels', 'status', '--state-dir', stateDir]);
    expect(channels).toEqual([{ name: 'telegram', state: 'starting' }]);
    const health = await runTetherJson<{ ok: boolean }>(['health', '--state-dir', stateDir]);
    expect(health.ok).toBe(true);
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
  }, 30_000);
});

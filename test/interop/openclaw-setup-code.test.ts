/**
 * OpenClaw's own node host pairs with a Tether gateway by a setup code, over TLS pinned by the
 * fingerprint in the code, with no approval: `openclaw node run --pair "oc-pair://<code>"`.
 *
 * What OpenClaw 2026.9.6 does with the code (node_modules/openclaw/dist):
 * - node-cli-*.mjs: `node run --pair <code-or-url>` → resolveNodePairGatewayOptions(code), then
 *   runNodeHost({ gatewayBootstrapToken: pair.bootstrapToken, preferGatewayBootstrapToken: true, … }).
 * - setup-code-*.mjs decodePairingSetupCode: strips `oc-pair://`, base64url JSON; needs `url` and
 *   `bootstrapToken`, rejects an expired `expiresAtMs`, normalizes `tlsFingerprint`.
 * - gateway-options-*.mjs: a `wss:` url means TLS; the fingerprint is pinned for the code's `url`.
 * - runner-*.mjs: with a bootstrap token it resolves no shared token/password and connects with
 *   `auth.bootstrapToken`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DevicePairListResult, NodeListResult } from '@tether/protocol';
import { cleanup, eventually, runTether, runTetherJson, startGatewayProcess } from '../helpers/processes.js';
import { CURRENT, startOpenclawNodeHostWith } from './helpers/openclaw.js';

afterAll(cleanup);

interface SetupCodeJson {
  code: string;
  uri: string;
  url: string;
  tlsFingerprint: string;
}

describe(`openclaw@${CURRENT} node host → tether gateway by setup code`, () => {
  it('pairs over pinned TLS with no approval and serves system.which', async () => {
    // Local auto-approval off: the code, not loopback, is what lets it in.
    const gateway = await startGatewayProcess({ args: ['--tls', 'on', '--no-local-auto-approve'] });
    expect(gateway.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const gw = ['--state-dir', gateway.stateDir];
    const setup = await runTetherJson<SetupCodeJson>(['devices', 'setup-code', '--commands', 'system.which', '--json', ...gw]);
    expect(setup.uri).toBe(`oc-pair://${setup.code}`);
    expect(setup.url).toBe(gateway.url);
    expect(setup.tlsFingerprint).toMatch(/^[0-9a-f]{64}$/);

    // The pin is checked: the same code with another fingerprint reaches no handshake and spends nothing.
    const forged = JSON.parse(Buffer.from(setup.code, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(forged).toMatchObject({ url: setup.url, tlsFingerprint: setup.tlsFingerprint });
    forged.tlsFingerprint = 'ab'.repeat(32);
    const wrongPin = startOpenclawNodeHostWith(CURRENT, ['--pair', `oc-pair://${Buffer.from(JSON.stringify(forged)).toString('base64url')}`], 'oc-wrong-pin');
    await wrongPin.waitFor(/gateway tls fingerprint mismatch/, 60_000);
    process.kill(-wrongPin.child.pid!, 'SIGKILL');
    const afterWrongPin = await runTetherJson<NodeListResult>(['nodes', 'list', '--json', ...gw]);
    expect(afterWrongPin.nodes.filter((n) => n.displayName === 'oc-wrong-pin')).toEqual([]);
    expect(gateway.output()).not.toContain('oc-wrong-pin');

    const name = 'oc-setup-code';
    // Only the code: no --host/--port/--tls flags, so host, port, TLS and the pin all come from it.
    const host = startOpenclawNodeHostWith(CURRENT, ['--pair', setup.uri], name);

    const node = await eventually(async () => {
      const { nodes } = await runTetherJson<NodeListResult>(['nodes', 'list', '--json', ...gw]);
      return nodes.find((n) => n.displayName === name && n.connected && n.approvalState === 'approved');
    }, 120_000, 500).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- openclaw node host output ---\n${host.output().slice(-6000)}\n--- gateway ---\n${gateway.output().slice(-4000)}`);
    });
    // It declares system.which, system.run and more; the code allows only system.which.
    expect(gateway.output()).toMatch(new RegExp(`paired ${name} by setup code \\S+ from 127\\.0\\.0\\.1 \\(commands: system\\.which;`));
    expect(node.commands).toEqual(['system.which']);
    // Paired by the code: nothing waits for an operator.
    const { pending } = await runTetherJson<DevicePairListResult>(['devices', 'list', '--json', ...gw]);
    expect(pending.filter((p) => p.displayName === name)).toEqual([]);
    expect(host.output()).not.toMatch(/reconnect paused|waiting for operator action/);

    const which = await runTetherJson<{ payload: { bins: Record<string, string> } }>([
      'nodes', 'invoke', '--node', name, ...gw, '--command', 'system.which', '--params', '{"bins":["sh"]}',
    ]);
    expect(Object.keys(which.payload.bins)).toEqual(['sh']);
    expect(which.payload.bins.sh).toMatch(/\/sh$/);

    // The code granted system.which only: system.run, which it also declares, is not allowed.
    const run = await runTether(['nodes', 'invoke', '--node', name, ...gw, '--command', 'system.run', '--params', '{"command":["true"]}']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('"system.run" is not in the approved commands');

    // The code is spent: a second host with it is not let in.
    const again = startOpenclawNodeHostWith(CURRENT, ['--pair', setup.uri], `${name}-again`);
    // It gets our close reason (1008 "setup code already used") and says so.
    await again.waitFor(/setup code already used/, 60_000);
    await gateway.waitFor(/setup code refused \(used\) for oc-setup-code-again/, 10_000);
    process.kill(-again.child.pid!, 'SIGKILL');
    const afterReuse = await runTetherJson<NodeListResult>(['nodes', 'list', '--json', ...gw]);
    expect(afterReuse.nodes.filter((n) => n.displayName === `${name}-again` && n.approvalState === 'approved')).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { GatewayError, type GatewayClient, type NodeInfo } from '@tether/protocol';
import { invokeNode } from './node-invoke.js';
import { CliError } from './output.js';

const NODE: NodeInfo = { nodeId: '3f2a9c1b07de'.padEnd(64, '0'), displayName: 'kitchen-pi', paired: true, connected: true, caps: [], commands: [], approvalState: 'approved' };

/** A gateway client that answers node.invoke with `answer` (or throws it), recording what was sent. */
function fakeClient(answer: unknown | (() => never)) {
  const sent: { method: string; params: Record<string, unknown> }[] = [];
  const client = {
    request: async (method: string, params: Record<string, unknown>) => {
      sent.push({ method, params });
      if (typeof answer === 'function') return (answer as () => never)();
      return { ok: true, nodeId: params.nodeId, command: params.command, payload: answer, payloadJSON: JSON.stringify(answer) };
    },
  };
  return { client: client as unknown as GatewayClient, sent };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('invokeNode', () => {
  it('returns a result that passes the command schema, sent to the resolved node id', async () => {
    const { client, sent } = fakeClient({ bins: { sh: '/bin/sh' } });
    const result = await invokeNode(client, NODE, 'system.which', { bins: ['sh'] }, 1_000);
    expect(result.payload).toEqual({ bins: { sh: '/bin/sh' } });
    expect(sent[0]).toMatchObject({ method: 'node.invoke', params: { nodeId: NODE.nodeId, command: 'system.which', timeoutMs: 1_000 } });
  });

  it('refuses a result with wrong types as INVALID_NODE_RESULT naming node and command', async () => {
    const { client } = fakeClient({ exitCode: 0, timedOut: false, success: true, stdout: 42, stderr: '', error: null });
    const error = await failure(invokeNode(client, NODE, 'system.run', { command: ['uname'] }, 1_000));
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe('INVALID_NODE_RESULT');
    expect(error.message).toContain('kitchen-pi (3f2a9c1b07de)');
    expect(error.message).toContain('system.run result: stdout: must be string');
  });

  it('passes results of commands without a schema through (OpenClaw commands)', async () => {
    const { client } = fakeClient({ anything: true });
    expect((await invokeNode(client, NODE, 'device.info', {}, 1_000)).payload).toEqual({ anything: true });
  });

  it('explains an offline node with its id and the next step', async () => {
    const { client } = fakeClient(() => {
      throw new GatewayError({ code: 'UNAVAILABLE', message: 'node not connected', details: { code: 'NOT_CONNECTED' } });
    });
    const error = await failure(invokeNode(client, { ...NODE, connected: false }, 'system.run', {}, 1_000));
    expect(error.message).toMatch(/^node kitchen-pi \(3f2a9c1b07de\) is paired but offline/);
    expect(error.message).toContain('tether nodes list');
  });

  it('turns "approve its pending request" into a hint bound to this node id', async () => {
    const notApproved = () => {
      throw new GatewayError({
        code: 'INVALID_REQUEST',
        message: 'node command not allowed: "camera.snap" on node kitchen-pi was not approved; approve its pending request with `tether devices approve <requestId>`',
        details: { code: 'COMMAND_NOT_ALLOWED', reason: 'command not approved', command: 'camera.snap' },
      });
    };
    const withRequest = await failure(invokeNode(fakeClient(notApproved).client, { ...NODE, pendingRequestId: 'ab12cd34-5678' }, 'camera.snap', {}, 1_000));
    expect(withRequest.message).toContain('its request ab12cd34 is in `tether devices list`: approve it only if the DEVICE column there shows 3f2a9c1b07de');
    const without = await failure(invokeNode(fakeClient(notApproved).client, NODE, 'camera.snap', {}, 1_000));
    expect(without.message).toContain('it has not asked for it');
    expect(without.message).not.toMatch(/approve it|devices approve/);
  });

  it('leaves other gateway errors as they are', async () => {
    const original = new GatewayError({ code: 'INVALID_REQUEST', message: 'not offered', details: { code: 'COMMAND_NOT_ALLOWED', reason: 'command not declared by node' } });
    const error = await failure(invokeNode(fakeClient(() => { throw original; }).client, NODE, 'camera.snap', {}, 1_000));
    expect(error).toBe(original);
  });
});

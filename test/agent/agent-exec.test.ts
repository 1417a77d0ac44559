/**
 * `run_command` through the agent takes the operator's path and the node's exec policy: a program
 * the node denies is a tool error naming the rule; one the node asks about is reported to the model
 * as pending with the approval id (not a failure), the agent cannot answer it, and the owner's
 * approval lets the command run later, its result written to the transcript.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeExecPolicy } from '../../node-agent/src/exec-policy/policy-file.js';
import { cleanup, eventually, ownerTokenEnv, runTether, spawnTether, tempDir, type GatewayProcess } from '../helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.js';
import { follow, runAgent, sent, startAgentGateway, type Follower } from './agent-helpers.js';

let model: ScriptedModel;
let gateway: GatewayProcess;
let operator: Follower;

beforeAll(async () => {
  model = await startScriptedModel({ family: 'vllm' });
  gateway = await startAgentGateway(model);
  const askDir = tempDir('tether-ask-');
  await writeExecPolicy(askDir, { version: 1, security: 'allowlist', ask: 'on-miss', allowlist: [] });
  const denyDir = tempDir('tether-deny-');
  await writeExecPolicy(denyDir, { version: 1, security: 'allowlist', ask: 'off', allowlist: [] });
  const asking = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', askDir, '--display-name', 'nas'], ownerTokenEnv(gateway));
  const denying = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', denyDir, '--display-name', 'locked'], ownerTokenEnv(gateway));
  await asking.waitFor(/connected to .* as nas/, 15_000);
  await denying.waitFor(/connected to .* as locked/, 15_000);
  operator = await follow(gateway, { caps: ['tool-events'] });
}, 40_000);
afterAll(async () => {
  await operator?.client.close();
  await model?.close();
  await cleanup();
});

describe('agent run_command under exec policy', () => {
  it('a denied program is a tool error naming the rule, and nothing runs', async () => {
    const marker = join(tempDir('tether-deny-out-'), 'ran');
    model.script(reply.toolCalls([{ name: 'run_command', arguments: { node: 'locked', command: ['touch', marker] } }]), reply.text('It was refused.'));
    const before = model.requests.length;
    const { wait } = await runAgent(operator, 'touch a file on locked', 'agent:main:deny');
    expect(wait.status).toBe('ok');
    const tool = sent(model, before + 1).find((m) => m.role === 'tool');
    expect(tool.content).toContain('Tool error from system.run on node "locked"');
    expect(tool.content).toMatch(/allowlist|denied|not allowed/i);
    expect(existsSync(marker)).toBe(false);
  }, 30_000);

  it('an asking program is pending with its approval id; approved later, it runs and the transcript gets the result', async () => {
    const marker = join(tempDir('tether-ask-out-'), 'ran');
    model.script(reply.toolCalls([{ name: 'run_command', arguments: { node: 'nas', command: ['touch', marker] } }]), reply.text('Waiting for your approval.'));
    const before = model.requests.length;
    const { runId, wait } = await runAgent(operator, 'free some disk on the NAS', 'agent:main:ask');
    expect(wait.status).toBe('ok');
    const tool = sent(model, before + 1).find((m) => m.role === 'tool');
    const approvalId = /"approvalId":"([0-9a-f-]{36})"/.exec(tool.content)?.[1];
    expect(approvalId).toBeDefined();
    expect(tool.content).toContain('pending-approval');
    const toolEvent = operator.events.find((e) => e.event === 'agent' && e.payload.runId === runId && e.payload.data.phase === 'result');
    expect(toolEvent?.payload.data).toMatchObject({ pendingApprovalId: approvalId, isError: false });
    expect(existsSync(marker)).toBe(false);

    // No tool the model is offered can answer an approval.
    const offered = model.requests[before]!.body.tools.map((t: any) => t.function.name);
    expect(offered.some((name: string) => /approv/.test(name))).toBe(false);

    const approved = await runTether(['approvals', 'approve', approvalId!, '--state-dir', gateway.stateDir]);
    expect(approved.code).toBe(0);
    await eventually(async () => (existsSync(marker) ? true : undefined), 10_000);
    // The late result lands in the session's transcript (a gateway note, not something a person said).
    const { sessions } = await operator.client.request<any>('sessions.list', {});
    const sessionId = sessions.find((s: any) => s.key === 'agent:main:ask').sessionId;
    const transcript = join(gateway.stateDir, 'agents', 'main', 'sessions', `${sessionId}.jsonl`);
    await eventually(async () => (readFileSync(transcript, 'utf8').includes('Late result') ? true : undefined), 10_000);
    model.script(reply.text('Done.'));
    const next = model.requests.length;
    await runAgent(operator, 'did it run?', 'agent:main:ask');
    const late = sent(model, next).filter((m) => JSON.stringify(m.content).includes('Late result of the approved run_command call'));
    // The node's output comes back as a gateway note, never with a person's authority.
    expect(late.map((m) => m.role)).toEqual(['assistant']);
  }, 40_000);
});

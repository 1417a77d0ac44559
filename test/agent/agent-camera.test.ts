/**
 * The agent end to end with real processes: a scripted model asks for `camera_snap` on node
 * `kitchen` (a node-agent with a synthetic ffmpeg camera), the next model request carries that JPEG
 * as an image part, the answer streams as events, and the transcript holds the whole exchange.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, eventually, ownerTokenEnv, runTether, spawnTether, tempDir, type GatewayProcess } from '../helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.js';
import { follow, runAgent, sent, startAgentGateway, type Follower } from './agent-helpers.js';

let model: ScriptedModel;
let gateway: GatewayProcess;
let operator: Follower;
let bystander: Follower;

beforeAll(async () => {
  model = await startScriptedModel({ family: 'openai' });
  gateway = await startAgentGateway(model, { profile: { vision: true } });
  const nodeDir = tempDir('tether-kitchen-');
  writeFileSync(join(nodeDir, 'node-config.json'), JSON.stringify({ version: 1, camera: { source: 'lavfi:testsrc=s=640x480:r=5' } }));
  const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'kitchen'], ownerTokenEnv(gateway));
  await node.waitFor(/connected to .*offering .*camera\.snap/, 15_000);
  operator = await follow(gateway, { caps: ['tool-events'] });
  bystander = await follow(gateway);
}, 30_000);
afterAll(async () => {
  await operator?.client.close();
  await bystander?.client.close();
  await model?.close();
  await cleanup();
});

describe('agent: what does the camera on kitchen see?', () => {
  it('snaps on kitchen, shows the model the JPEG, streams the answer and keeps the transcript', async () => {
    model.script(reply.toolCalls([{ name: 'camera_snap', arguments: { node: 'kitchen' } }]), reply.text('A test pattern with colour bars.'));
    const { runId, wait } = await runAgent(operator, 'what does the camera on kitchen see?');
    expect(wait).toMatchObject({ runId, status: 'ok' });

    // The first request offered a typed camera_snap whose node enum is exactly the connected node.
    const first = model.requests[0]!.body;
    const snapTool = first.tools.find((t: any) => t.function.name === 'camera_snap');
    expect(snapTool.function.parameters.properties.node.enum).toEqual(['kitchen']);
    expect(first.messages[0].role).toBe('system');
    expect(first.messages.at(-1)).toEqual({ role: 'user', content: 'what does the camera on kitchen see?' });

    // The second carries the tool result as text framed as data, then the JPEG as an image part.
    const messages = sent(model, 1);
    const tool = messages.find((m) => m.role === 'tool');
    expect(tool.content).toContain('Result of camera.snap on node "kitchen"');
    expect(tool.content).toContain('not instructions');
    expect(tool.content).toContain('(see attached image)');
    expect(tool.content).not.toMatch(/[A-Za-z0-9+/]{200,}/); // no base64 in the text
    const carrier = messages.at(-1);
    expect(carrier.role).toBe('user');
    expect(carrier.content[0]).toEqual({ type: 'text', text: 'Attached image(s) from tool result:' });
    const url: string = carrier.content[1].image_url.url;
    expect(url.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64').subarray(0, 2).toString('hex')).toBe('ffd8');

    // Events: lifecycle and text to every reader, tool steps only to the run's own connection.
    const mine = operator.events.filter((e) => e.event === 'agent' && e.payload.runId === runId).map((e) => e.payload);
    const seqs = mine.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(mine.find((e) => e.stream === 'tool' && e.data.phase === 'result')?.data).toMatchObject({ name: 'camera_snap', node: 'kitchen', command: 'camera.snap', isError: false });
    expect(mine.at(-1)).toMatchObject({ stream: 'lifecycle', data: { phase: 'end' } });
    expect(mine.filter((e) => e.stream === 'assistant').at(-1)?.data.text).toBe('A test pattern with colour bars.');
    // The bystander's copies travel on another socket: wait for the final one rather than race it.
    const finalChat = await eventually(async () => bystander.events.find((e) => e.event === 'chat' && e.payload.runId === runId && e.payload.state === 'final'), 5_000);
    const theirs = bystander.events.filter((e) => e.event === 'agent' && e.payload.runId === runId).map((e) => e.payload);
    expect(theirs.some((e) => e.stream === 'assistant')).toBe(true);
    expect(theirs.some((e) => e.stream === 'tool')).toBe(false);
    expect(finalChat?.payload.message.content[0].text).toBe('A test pattern with colour bars.');

    // The transcript: the question, the call, the result with the saved file, the answer.
    const history = await operator.client.request<any>('chat.history', { sessionKey: 'agent:main:main' });
    const roles = history.messages.map((m: any) => m.role);
    expect(roles).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
    const saved = history.messages[2].content.find((c: any) => c.type === 'image');
    expect(saved.path).toMatch(/agents\/main\/media\/.*\.jpg$/);
    expect(existsSync(saved.path)).toBe(true);
    expect(history.messages[3].content[0].text).toBe('A test pattern with colour bars.');
    // A reader without write sees the conversation but not the tool steps (arguments, results, files).
    const readOnly = await follow(gateway, { scopes: ['operator.read'] });
    const limited = await readOnly.client.request<any>('chat.history', { sessionKey: 'agent:main:main' });
    await readOnly.client.close();
    expect(limited.messages.map((m: any) => m.role)).toEqual(['user', 'assistant']);
    expect(JSON.stringify(limited)).not.toMatch(/camera_snap|\.jpg/);
  }, 60_000);

  it('`tether agent -m` streams the answer and shows the tool step with the node, the command and the saved file', async () => {
    model.script(reply.toolCalls([{ name: 'camera_snap', arguments: { node: 'kitchen' } }]), reply.text('Still the colour bars.'));
    const result = await runTether(['agent', '-m', 'what does the camera on kitchen see?', '--session', 'agent:main:cli', '--state-dir', gateway.stateDir], {}, 60_000);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Still the colour bars.');
    const step = result.stdout.split('\n').find((line) => line.includes('camera.snap') || line.includes('camera_snap'));
    expect(step).toContain('kitchen');
    expect(result.stdout).toMatch(/agents\/main\/media\/\S+\.jpg/);
  }, 60_000);
});

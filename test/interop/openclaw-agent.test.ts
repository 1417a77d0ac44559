/**
 * `openclaw agent` (OpenClaw's own CLI) driving our gateway's embedded agent, with the frames on the
 * wire recorded by a man-in-the-middle (capture-frames.mjs) so the test pins what OpenClaw sends and
 * what it accepts back. The agent's model is the scripted OpenAI-compatible server.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedToken } from '../helpers/clients.js';
import { cleanup, tempDir, type GatewayProcess } from '../helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.js';
import { startAgentGateway } from '../agent/agent-helpers.js';
import { startCapture } from './capture-frames.mjs';
import { CURRENT, openclawHome, runOpenclaw, type OpenclawHome } from './helpers/openclaw.js';

interface Captured {
  conn: number;
  dir: string;
  frame?: any;
}

let model: ScriptedModel;
let gateway: GatewayProcess;
let capture: ReturnType<typeof startCapture>;
let framesFile: string;
let home: OpenclawHome;

beforeAll(async () => {
  model = await startScriptedModel();
  gateway = await startAgentGateway(model);
  framesFile = join(tempDir('openclaw-agent-frames-'), 'frames.jsonl');
  const port = await new Promise<number>((resolve) => {
    capture = startCapture({ listen: 0, upstream: gateway.url, out: framesFile, onListening: resolve });
  });
  // `openclaw agent` has no --url/--token flags: it reaches a remote gateway through its config.
  home = openclawHome(CURRENT, { gateway: { mode: 'remote', remote: { url: `ws://127.0.0.1:${port}`, token: sharedToken(gateway.stateDir) } } });
});
afterAll(async () => {
  // TETHER_CAPTURE_OUT=<file.jsonl> keeps the redacted frames (e.g. for test/fixtures/openclaw/).
  if (process.env.TETHER_CAPTURE_OUT && framesFile) copyFileSync(framesFile, process.env.TETHER_CAPTURE_OUT);
  await new Promise<void>((resolve) => (capture ? capture.close(() => resolve()) : resolve()));
  await model?.close();
  await cleanup();
});

function frames(): Captured[] {
  return readFileSync(framesFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Captured);
}

async function openclawAgent(args: string[]) {
  const result = await runOpenclaw(CURRENT, home, ['agent', ...args], 120_000);
  if (result.code !== 0) throw new Error(`openclaw agent ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}\nframes:\n${readFileSync(framesFile, 'utf8').slice(-6000)}`);
  return result;
}

describe('openclaw@2026.9.6 agent → tether gateway agent', () => {
  it('prints the model answer and exits 0', async () => {
    model.script(reply.text('The mesh is up and running.'));
    const result = await openclawAgent(['--session-key', 'agent:main:interop', '--message', 'Is the mesh up?']);
    expect(result.stdout).toContain('The mesh is up and running.');
  });
});

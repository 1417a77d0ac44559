/**
 * A web page in the owner's browser reaches the gateway's HTTP routes too, not only its WebSocket:
 * a DNS-rebound page is same-origin to the browser, so no CORS preflight protects a JSON POST. With
 * `gateway.auth.mode: "none"` (allowed on loopback) such a page would otherwise drive the agent. Every
 * HTTP request that carries a foreign Origin is refused; requests without one (CLIs, OpenAI clients)
 * and allowed origins get through.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startGatewayProcess, tempDir, type GatewayProcess } from '../helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.js';

let gateway: GatewayProcess;
let model: ScriptedModel;

beforeAll(async () => {
  model = await startScriptedModel();
  const stateDir = tempDir('tether-open-gw-');
  writeFileSync(
    join(stateDir, 'tether.json'),
    JSON.stringify({ gateway: { auth: { mode: 'none' }, allowedOrigins: ['http://127.0.0.1:5173'] }, agent: { model: 'scripted', baseUrl: model.url } }),
  );
  gateway = await startGatewayProcess({ stateDir });
}, 30_000);
afterAll(async () => {
  await model?.close();
  await cleanup();
});

const chat = (headers: Record<string, string>) =>
  fetch(`http://127.0.0.1:${gateway.port}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'tether', messages: [{ role: 'user', content: 'snap the camera' }] }),
  });

describe('browser pages on the HTTP routes', () => {
  it('refuses a foreign Origin before the agent runs, even with auth mode none', async () => {
    const before = model.requests.length;
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:18789.evil.example']) {
      const answer = await chat({ origin });
      expect(answer.status).toBe(403);
      expect(((await answer.json()) as any).error.code).toBe('ORIGIN_NOT_ALLOWED');
    }
    const models = await fetch(`http://127.0.0.1:${gateway.port}/v1/models`, { headers: { origin: 'http://evil.example' } });
    expect(models.status).toBe(403);
    expect(model.requests.length).toBe(before);
  });

  it('lets through clients without an Origin and the allowed origin', async () => {
    model.script(reply.text('hi'), reply.text('hi again'));
    expect((await chat({})).status).toBe(200);
    expect((await chat({ origin: 'http://127.0.0.1:5173' })).status).toBe(200);
  });
});

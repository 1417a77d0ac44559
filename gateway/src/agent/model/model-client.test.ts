import { afterEach, describe, expect, it } from 'vitest';
import { reply, startScriptedModel, type ScriptedModel, type ScriptedModelOptions } from '../../../../test/helpers/scripted-model.js';
import { createModelClient, type ModelClientOptions } from './model-client.js';
import { ModelError, type ModelRequest } from './types.js';

let model: ScriptedModel | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
});

async function start(options: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  model = await startScriptedModel(options);
  return model;
}

const ask: ModelRequest = { messages: [{ role: 'user', content: 'hi' }], tools: [] };

function client(m: ScriptedModel, extra: Partial<ModelClientOptions> = {}) {
  return createModelClient({ model: 'm', baseUrl: m.url, apiKey: 'k', detectProfile: false, retryBaseDelayMs: 1, retryMaxDelayMs: 5, ...extra });
}

describe('model client', () => {
  it('streams text', async () => {
    const m = await start();
    m.script(reply.text('hello there'));
    const seen: string[] = [];
    const turn = await client(m).complete(ask, { onText: (d) => seen.push(d) });
    expect(turn.text).toBe('hello there');
    expect(seen.length).toBeGreaterThan(1);
    expect(turn.finishReason).toBe('stop');
    expect(turn.usage?.totalTokens).toBeGreaterThan(0);
  });
});

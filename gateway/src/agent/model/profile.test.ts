/** Capability profile: conservative defaults, hints from each server's /models, config always wins. */
import { describe, expect, it } from 'vitest';
import { scriptedModelPerTest } from '../../../../test/helpers/scripted-model-per-test.js';
import { createModelClient } from './model-client.js';
import { DEFAULT_PROFILE, knownModelProfile, profileFromModelList, resolveProfile } from './profile.js';

const start = scriptedModelPerTest();

describe('profile', () => {
  it('defaults are conservative', () => {
    expect(resolveProfile()).toEqual({ vision: false, contextWindow: 8192, toolStreaming: true, parallelToolCalls: 'ignored' });
    expect(resolveProfile(knownModelProfile('qwen2.5:0.5b'))).toEqual(DEFAULT_PROFILE);
  });

  it('knows hosted OpenAI models, also behind a router prefix', () => {
    expect(knownModelProfile('gpt-4o-mini')).toMatchObject({ vision: true, contextWindow: 128_000, parallelToolCalls: 'honoured' });
    expect(knownModelProfile('openai/gpt-4.1-nano')).toMatchObject({ vision: true, contextWindow: 1_047_576 });
    expect(knownModelProfile('gpt-5-mini')).toMatchObject({ vision: true });
    expect(knownModelProfile('o4-mini')).toMatchObject({ vision: true, contextWindow: 200_000 });
    expect(knownModelProfile('o3-mini')).toMatchObject({ vision: false });
    expect(knownModelProfile('gpt-3.5-turbo')).toEqual({});
  });

  it('reads vLLM max_model_len, OpenRouter context_length and input modalities, llama.cpp multimodal capability', () => {
    expect(profileFromModelList({ object: 'list', data: [{ id: 'm', owned_by: 'vllm', max_model_len: 32768 }] }, 'm')).toEqual({ contextWindow: 32768, parallelToolCalls: 'dropped' });
    expect(profileFromModelList({ data: [{ id: 'other', max_model_len: 99 }, { id: 'm', context_length: 65536, architecture: { input_modalities: ['text', 'image'] } }] }, 'm')).toEqual({
      contextWindow: 65536,
      vision: true,
    });
    expect(profileFromModelList({ data: [{ id: 'm', architecture: { input_modalities: ['text'] } }] }, 'm')).toEqual({ vision: false });
    // llama-server lists the model file, whatever name the config uses.
    const llama = { models: [{ name: '/models/qwen2-vl.gguf', model: '/models/qwen2-vl.gguf', capabilities: ['completion', 'multimodal'] }], data: [{ id: '/models/qwen2-vl.gguf', owned_by: 'llamacpp' }] };
    expect(profileFromModelList(llama, 'anything')).toEqual({ vision: true, parallelToolCalls: 'honoured' });
    expect(profileFromModelList('nonsense', 'm')).toEqual({});
  });

  it('detects once through GET /models (cached), and config wins over detection', async () => {
    const m = await start({ family: 'vllm', models: [{ id: 'm', owned_by: 'vllm', max_model_len: 16384 }] });
    const c = createModelClient({ model: 'm', baseUrl: m.url, profile: { vision: true, parallelToolCalls: 'honoured' } });
    expect(await c.profile()).toEqual({ vision: true, contextWindow: 16384, toolStreaming: true, parallelToolCalls: 'honoured' });
    await c.profile();
    expect(m.log.filter((r) => r.path === '/v1/models')).toHaveLength(1);
  });

  it('a server without /models, or one that never answers, leaves the defaults', async () => {
    let m = await start({ models: null });
    expect(await createModelClient({ model: 'm', baseUrl: m.url }).profile()).toEqual(DEFAULT_PROFILE);
    await m.close();
    m = await start({ modelsHang: true });
    expect(await createModelClient({ model: 'gpt-4o', baseUrl: m.url, profileTimeoutMs: 20 }).profile()).toMatchObject({ vision: true, contextWindow: 128_000 });
  });

  it('Ollama (owned_by library): tool calls are not streamed; vision from /api/show when it answers', async () => {
    const m = await start({ family: 'ollama', models: [{ id: 'llava:7b', owned_by: 'library' }] });
    expect(await createModelClient({ model: 'llava:7b', baseUrl: m.url }).profile()).toMatchObject({ toolStreaming: false, vision: false });
    expect(m.log.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models', 'POST /api/show']);
    await m.close();
    const withVision = await start({ family: 'ollama', models: [{ id: 'llava:7b', owned_by: 'library' }], ollamaCapabilities: ['completion', 'vision', 'tools'] });
    expect(await createModelClient({ model: 'llava:7b', baseUrl: withVision.url }).profile()).toMatchObject({ toolStreaming: false, vision: true });
    expect(withVision.log.find((r) => r.path === '/api/show')!.body).toEqual({ model: 'llava:7b' });
  });
});

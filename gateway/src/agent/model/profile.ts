/**
 * What a model endpoint can do (vision, context window, tool streaming, `parallel_tool_calls`),
 * resolved as defaults < known model ids < what the server's `/models` says < config. Defaults
 * are conservative because a wrong "yes" costs more than a wrong "no": images sent to a text-only
 * model are refused or silently dropped, and a context window guessed too large truncates history
 * silently on servers like Ollama (home-assistant/core#119946). Detection is one short GET, cached
 * by the caller; any failure just leaves the defaults.
 */
import { isRecord } from '@tether/protocol';
import type { ModelProfile } from './types.js';

export const DEFAULT_PROFILE: Readonly<ModelProfile> = Object.freeze({
  vision: false,
  contextWindow: 8192,
  toolStreaming: true,
  parallelToolCalls: 'ignored',
});

export const DEFAULT_PROFILE_TIMEOUT_MS = 3_000;
/** OpenRouter's list is a few hundred KB; anything far past that is not a model list. */
const MAX_LIST_BYTES = 8 * 1024 * 1024;

/** Hosted OpenAI models by id (also behind a `openai/` router prefix, as on OpenRouter). */
export function knownModelProfile(model: string): Partial<ModelProfile> {
  const id = model.toLowerCase().replace(/^openai\//, '');
  if (/^gpt-4\.1/.test(id)) return { vision: true, contextWindow: 1_047_576, parallelToolCalls: 'honoured' };
  if (/^gpt-5/.test(id)) return { vision: true, contextWindow: 400_000, parallelToolCalls: 'honoured' };
  if (/^gpt-4o/.test(id)) return { vision: true, contextWindow: 128_000, parallelToolCalls: 'honoured' };
  // o1-mini and o3-mini take no images; the other o-series models do. `parallel_tool_calls` is
  // not sent to them (left 'ignored'): not every o-series model accepts the parameter.
  if (/^o[13]-mini/.test(id)) return { vision: false, contextWindow: 128_000 };
  if (/^o[1-9]/.test(id)) return { vision: true, contextWindow: 200_000 };
  return {};
}

/** Hints from a GET /models body: llama.cpp, vLLM, OpenRouter, Ollama each say different things. */
export function profileFromModelList(body: unknown, model: string): Partial<ModelProfile> {
  if (!isRecord(body)) return {};
  const entries = [...(Array.isArray(body.data) ? body.data : []), ...(Array.isArray(body.models) ? body.models : [])].filter(isRecord);
  const named = (entry: Record<string, unknown>) => [entry.id, entry.name, entry.model].some((name) => name === model);
  let matches = entries.filter(named);
  // llama-server serves one model whatever the request's `model` says, and names it by its file
  // (in `data`, and again in `models` with capabilities): a list of one is that model.
  if (matches.length === 0 && Array.isArray(body.data) && body.data.length === 1) matches = entries;
  const out: Partial<ModelProfile> = {};
  for (const entry of matches) {
    const capabilities = Array.isArray(entry.capabilities) ? entry.capabilities : [];
    if (capabilities.includes('multimodal') || capabilities.includes('vision') || entry.multimodal === true) out.vision = true;
    const architecture = isRecord(entry.architecture) ? entry.architecture : {};
    if (Array.isArray(architecture.input_modalities)) out.vision = architecture.input_modalities.includes('image');
    const context = positive(entry.max_model_len) ?? positive(entry.context_length) ?? positive(entry.context_window);
    if (context !== undefined) out.contextWindow = context;
    // vLLM since PR #26233 drops every call after the first; before it, ignored. Either way: do not send false.
    if (entry.owned_by === 'vllm') out.parallelToolCalls = 'dropped';
    // llama-server's grammar caps calls at one when asked.
    if (entry.owned_by === 'llamacpp') out.parallelToolCalls = 'honoured';
  }
  return out;
}

/** Ollama's native `/api/show` names capabilities ("vision", "tools"); only its `/v1/models` entries hint that it is Ollama. */
export function looksLikeOllama(body: unknown, baseUrl: string): boolean {
  if (/:11434(\/|$)/.test(baseUrl)) return true;
  return isRecord(body) && Array.isArray(body.data) && body.data.some((e) => isRecord(e) && (e.owned_by === 'library' || e.owned_by === 'ollama'));
}

export interface DetectOptions {
  baseUrl: string;
  model: string;
  apiKey?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** What the server says about the model; never throws (an endpoint without `/models` is normal). */
export async function detectProfile(options: DetectOptions): Promise<Partial<ModelProfile>> {
  const base = options.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const list = await getJson(options, `${base}/models`, { headers });
  const detected = profileFromModelList(list, options.model);
  if (list !== undefined && looksLikeOllama(list, base) && detected.vision === undefined) {
    const show = await getJson(options, `${base.replace(/\/v1$/, '')}/api/show`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: options.model }),
    });
    if (isRecord(show) && Array.isArray(show.capabilities)) detected.vision = show.capabilities.includes('vision');
    // Ollama sends each tool call whole, at the end; its runtime context (num_ctx) is not in /api/show, so the default stays.
    detected.toolStreaming = false;
  }
  return detected;
}

export function resolveProfile(...layers: (Partial<ModelProfile> | undefined)[]): ModelProfile {
  const out: ModelProfile = { ...DEFAULT_PROFILE };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}

async function getJson(options: DetectOptions, url: string, init: RequestInit): Promise<unknown> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? DEFAULT_PROFILE_TIMEOUT_MS);
  try {
    const response = await (options.fetch ?? fetch)(url, { ...init, signal: controller.signal });
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    const reader = response.body.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_LIST_BYTES) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      parts.push(value);
    }
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

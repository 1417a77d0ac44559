/**
 * One agent run: system prompt, history, the person's message → model → tool calls → results → … →
 * final text. The tool list is rebuilt before every model turn; after `maxToolRounds` rounds the model
 * gets one last turn without tools to answer with what it has. Each step is appended to the transcript
 * as it happens, and reported as OpenClaw-shaped `assistant` and `tool` events.
 */
import type { AgentConfig } from '../agent-config.js';
import type { ChatMessage, ContentPart, ModelClient, ModelUsage, ParsedToolCall } from '../model/types.js';
import type { RunContext } from '../sessions/session-store.js';
import type { TranscriptEntry } from '../sessions/transcript.js';
import type { RunImage, SavedMediaRef } from '../service-types.js';
import type { ToolBackend, ToolCallOutcome, ToolImage } from '../tool-backend.js';
import { AssistantStream } from './assistant-stream.js';
import { estimateTokens, fitHistory, historyTurns } from './history.js';
import { buildSystemPrompt } from './system-prompt.js';

export interface RunInput {
  sessionKey: string;
  message: string;
  images?: RunImage[];
  extraSystemPrompt?: string;
}

export interface RunDeps {
  model: ModelClient;
  tools: ToolBackend;
  config: AgentConfig;
  signal: AbortSignal;
  emit(stream: 'assistant' | 'tool', data: Record<string, unknown>): void;
}

export interface RunResult {
  text: string;
  usage?: ModelUsage;
  toolRounds: number;
  media: SavedMediaRef[];
}

const IMAGES_INTRO = 'Attached image(s) from tool result:';
const OUT_OF_ROUNDS = 'The tool budget of this run is used up. Answer now with what you have, and say what is left undone.';

export async function runAgentLoop(deps: RunDeps, input: RunInput, ctx: RunContext): Promise<RunResult> {
  const { model, tools, config, signal } = deps;
  const now = () => Date.now();
  const profile = await model.profile();
  const system = await buildSystemPrompt(config.workspace, input.extraSystemPrompt);

  const imageCount = input.images?.length ?? 0;
  // A model without vision is told the images came (it can say so), instead of answering as if there were none.
  const userContent: string | ContentPart[] =
    imageCount > 0 && profile.vision
      ? [{ type: 'text', text: input.message }, ...input.images!.map((image): ContentPart => ({ type: 'image_url', image_url: { url: `data:${image.mimeType};base64,${image.base64}` } }))]
      : imageCount > 0
        ? `${input.message}\n\n[${imageCount} image${imageCount > 1 ? 's' : ''} attached by the user, not shown: this model has no vision]`
        : input.message;
  const budget = Math.floor(profile.contextWindow * 0.7) - estimateTokens([{ role: 'system', content: system }, { role: 'user', content: userContent }]);
  const history = fitHistory(historyTurns(ctx.history), Math.max(0, budget));
  const entries: TranscriptEntry[] = [];
  if (history.droppedTurns > 0) entries.push({ type: 'compaction', ts: now(), runId: ctx.runId, removedEntries: history.droppedTurns, how: 'trimmed' });
  entries.push({ type: 'message', ts: now(), runId: ctx.runId, role: 'user', content: input.message });
  await ctx.append(entries);

  const messages: ChatMessage[] = [{ role: 'system', content: system }, ...history.messages, { role: 'user', content: userContent }];
  const usage: ModelUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  let sawUsage = false;
  const media: SavedMediaRef[] = [];
  const assistant = new AssistantStream((data) => deps.emit('assistant', data));
  let rounds = 0;
  let imageCarrier: { index: number; paths: string[] } | undefined;

  for (;;) {
    const offered = rounds < config.maxToolRounds ? await tools.listTools() : [];
    if (rounds >= config.maxToolRounds) messages.push({ role: 'system', content: OUT_OF_ROUNDS });
    // The turns' texts are one answer to the reader, a blank line between them.
    if (assistant.value !== '' && !assistant.value.endsWith('\n\n')) assistant.append('\n\n');
    const turnStart = assistant.value;
    const turn = await model.complete({ messages, tools: offered }, { signal, onText: (delta) => assistant.append(delta) });
    if (turn.usage) {
      sawUsage = true;
      usage.promptTokens += turn.usage.promptTokens;
      usage.completionTokens += turn.usage.completionTokens;
      usage.totalTokens += turn.usage.totalTokens;
    }
    // A server that sent no text deltas but a whole text (non-streaming fallbacks) still shows it.
    if (assistant.value === turnStart && turn.text) assistant.append(turn.text);
    assistant.flush();
    const calls = offered.length > 0 ? turn.toolCalls : [];
    const wireCalls = calls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.argumentsText || '{}' } }));
    await ctx.append([{ type: 'message', ts: now(), runId: ctx.runId, role: 'assistant', content: turn.text, ...(calls.length > 0 ? { toolCalls: wireCalls } : {}) }]);
    if (calls.length === 0) {
      return { text: assistant.value.replace(/\n\n$/, ''), ...(sawUsage ? { usage } : {}), toolRounds: rounds, media };
    }
    rounds++;
    messages.push({ role: 'assistant', content: turn.text || null, tool_calls: wireCalls });
    const images: ToolImage[] = [];
    for (const [index, call] of calls.entries()) {
      signal.throwIfAborted();
      // The node's idempotency key is the gateway's own (round, position): servers that send no ids
      // get made-up ones that repeat every turn, and a repeat must not replay an earlier result.
      const outcome = await callOne(deps, ctx, input.sessionKey, call, `agent:${ctx.runId}:${rounds}:${index}`);
      for (const saved of outcome.media ?? []) media.push({ ...saved, node: outcome.node ?? '', command: outcome.command ?? call.name });
      const attach = profile.vision ? outcome.images : [];
      images.push(...attach);
      const content = attach.length > 0 ? `${outcome.text}\n(see attached image)` : outcome.text;
      messages.push({ role: 'tool', tool_call_id: call.id, content });
      await ctx.append([
        {
          type: 'message',
          ts: now(),
          runId: ctx.runId,
          role: 'tool',
          toolCallId: call.id,
          name: call.name,
          content,
          ...(outcome.node ? { node: outcome.node } : {}),
          ...(outcome.media?.length ? { media: outcome.media } : {}),
          ...(outcome.isError ? { isError: true } : {}),
        },
      ]);
    }
    if (images.length > 0) {
      // Only the latest round's images are resent each turn; earlier ones become their file names,
      // or a run of camera calls would resend every picture it ever took.
      if (imageCarrier) messages[imageCarrier.index] = { role: 'user', content: `[${IMAGES_INTRO} shown earlier, saved at ${imageCarrier.paths.join(', ')}]` };
      imageCarrier = { index: messages.length, paths: images.map((image) => image.savedTo ?? 'an unsaved image') };
      // Chat Completions tool messages carry text only: the images follow in one user message.
      messages.push({ role: 'user', content: [{ type: 'text', text: IMAGES_INTRO }, ...images.map((image): ContentPart => ({ type: 'image_url', image_url: { url: `data:${image.mimeType};base64,${image.base64}` } }))] });
      await ctx.append([
        {
          type: 'message',
          ts: now(),
          runId: ctx.runId,
          role: 'user',
          synthetic: true,
          content: [{ type: 'text', text: IMAGES_INTRO }, ...images.map((image) => ({ type: 'image_ref', path: image.savedTo, mimeType: image.mimeType }))],
        },
      ]);
    }
  }
}

async function callOne(deps: RunDeps, ctx: RunContext, sessionKey: string, call: ParsedToolCall, idempotencyKey: string): Promise<ToolCallOutcome> {
  const started = Date.now();
  deps.emit('tool', { phase: 'start', name: call.name, toolCallId: call.id, args: call.arguments ?? call.argumentsText.slice(0, 4_096) });
  const outcome: ToolCallOutcome =
    call.parseError !== undefined
      ? { text: `Tool error (INVALID_ARGUMENTS): the arguments of ${call.name} are not valid JSON (${call.parseError}); send them again as a JSON object`, images: [], isError: true, durationMs: 0 }
      : await deps.tools.callTool(call.name, call.arguments, {
          signal: deps.signal,
          idempotencyKey,
          sessionKey,
          onLateResult: (late) => {
            // An assistant note, never a user message: the node's output must not come back with a person's authority.
            void ctx
              .append([{ type: 'message', ts: Date.now(), runId: ctx.runId, role: 'assistant', synthetic: true, content: `[Gateway note] Late result of the approved ${call.name} call ${call.id}:\n${late.text}` }])
              .catch(() => undefined);
          },
        });
  deps.emit('tool', {
    phase: 'result',
    name: call.name,
    toolCallId: call.id,
    isError: outcome.isError,
    durationMs: Date.now() - started,
    ...(outcome.node ? { node: outcome.node } : {}),
    ...(outcome.command ? { command: outcome.command } : {}),
    ...(outcome.media?.length ? { savedTo: outcome.media.map((m) => m.path) } : {}),
    ...(outcome.pendingApprovalId ? { pendingApprovalId: outcome.pendingApprovalId } : {}),
    summary: outcome.text.slice(0, 400),
  });
  return outcome;
}

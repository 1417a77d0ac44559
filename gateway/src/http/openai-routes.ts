/**
 * The OpenAI-compatible surface of the embedded agent: `POST /v1/chat/completions` (one agent run
 * per request, streamed or not) and `GET /v1/models`. Both need the gateway's token as a Bearer
 * token and answer errors in OpenAI's shape, which OpenAI clients parse.
 *
 * Unlike OpenClaw's endpoint, a stream always ends with a chunk carrying `finish_reason`, image parts
 * reach the model (inline `data:` URLs only), client tools are refused instead of silently ignored,
 * run errors come back as errors (not as assistant text), and a client that disconnects aborts its run.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, safeText } from '@tether/protocol';
import type { AgentRunHandle, AgentRunOutcome, AgentService, AgentStreamEvent } from '../agent/service-types.js';
import type { GatewayContext } from '../context.js';
import type { Logger } from '../log.js';
import { isSharedToken } from '../secrets.js';
import { DEFAULT_OPENAI_LIMITS, OpenAIHttpError, parseChatRequest, readJsonBody, resolveSessionKey, type OpenAILimits } from './openai-request.js';
import { ChatCompletionSse, type ChatUsage } from './openai-sse.js';
import { bearer, json } from './respond.js';

export interface OpenAIRouteDeps {
  agent: AgentService;
  /** Whether the request carries the gateway's token (`Authorization: Bearer …`). */
  authorize(request: IncomingMessage): boolean;
  log: Logger;
  limits?: Partial<OpenAILimits>;
  /** How often an idle stream gets an SSE comment line (0: never). */
  keepAliveMs?: number;
}

/** The routes' dependencies from a running gateway. */
export function openaiDeps(gateway: GatewayContext): OpenAIRouteDeps {
  return { agent: gateway.agent, authorize: (request) => isSharedToken(gateway, bearer(request)), log: gateway.log };
}

/** When `GET /v1/models` says its models were created: this process's start (clients only display it). */
const LISTED_AT = Math.floor(Date.now() / 1000);

const unauthorized = () =>
  new OpenAIHttpError(401, "send the gateway's token as a Bearer token (Authorization: Bearer <token>; it is in the gateway's state directory, ~/.tether/gateway.token by default)", {
    type: 'authentication_error',
    code: 'invalid_api_key',
  });

export async function chatCompletions(deps: OpenAIRouteDeps, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    if (!deps.authorize(request)) {
      request.resume();
      throw unauthorized();
    }
    const limits = { ...DEFAULT_OPENAI_LIMITS, ...deps.limits };
    const plan = parseChatRequest(await readJsonBody(request, limits.maxBodyBytes), limits);
    const sessionKey = resolveSessionKey(request, plan.user);
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);

    // Events can arrive while start() runs, before the answer is set up: hold them until then.
    const early: AgentStreamEvent[] = [];
    let onEvent: (event: AgentStreamEvent) => void = (event) => early.push(event);
    let handle: AgentRunHandle;
    try {
      handle = deps.agent.start(
        { sessionKey, runId: id, message: plan.message, images: plan.images.length > 0 ? plan.images : undefined, extraSystemPrompt: plan.extraSystemPrompt },
        (event) => onEvent(event),
      );
    } catch (error) {
      throw startFailure(error);
    }
    // A client that goes away before its answer is complete aborts its run.
    response.on('close', () => {
      if (!response.writableFinished) handle.abort('the OpenAI client disconnected');
    });
    const headers = { 'x-tether-session-key': sessionKey, 'x-tether-run-id': handle.runId };

    if (plan.stream) {
      const sse = new ChatCompletionSse(response, { id, created, model: plan.model }, deps.keepAliveMs);
      sse.open(headers);
      let sent = '';
      onEvent = (event) => {
        const delta = assistantDelta(event, sent);
        if (delta === '') return;
        sent += delta;
        sse.content(delta);
      };
      early.forEach(onEvent);
      const outcome = await handle.done;
      if (!sse.writable) return;
      if (outcome.status === 'error') {
        sse.error(runFailure(outcome));
        return sse.done();
      }
      // An agent that did not stream (or streamed less than it answered) still delivers its text.
      if (outcome.text.length > sent.length && outcome.text.startsWith(sent)) sse.content(outcome.text.slice(sent.length));
      sse.finish(outcome.status === 'ok' ? 'stop' : 'length');
      if (plan.includeUsage) sse.usage(usageOf(outcome));
      return sse.done();
    }

    onEvent = () => {};
    const outcome = await handle.done;
    if (response.destroyed || response.writableEnded) return;
    if (outcome.status === 'error') throw runFailure(outcome);
    json(
      response,
      200,
      {
        id,
        object: 'chat.completion',
        created,
        model: plan.model,
        choices: [{ index: 0, message: { role: 'assistant', content: outcome.text, refusal: null }, logprobs: null, finish_reason: outcome.status === 'ok' ? 'stop' : 'length' }],
        usage: usageOf(outcome),
      },
      headers,
    );
  } catch (error) {
    answerError(deps, request, response, error);
  }
}

export function listModels(deps: OpenAIRouteDeps, request: IncomingMessage, response: ServerResponse): void {
  try {
    if (!deps.authorize(request)) throw unauthorized();
    const ids = ['tether'];
    const configured = deps.agent.modelName();
    if (configured && configured !== 'tether') ids.push(configured);
    json(response, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: LISTED_AT, owned_by: 'tether' })) });
  } catch (error) {
    answerError(deps, request, response, error);
  }
}

/**
 * The text an assistant event adds: what its cumulative `text` has beyond what was sent, else its
 * `delta`. The cumulative text comes first because it carries the blank line the run puts between
 * the model's turns (text before a tool call, then the answer), which no `delta` contains: without
 * it a stream glued the turns together and differed from the non-streamed answer.
 */
function assistantDelta(event: AgentStreamEvent, sent: string): string {
  if (event.stream !== 'assistant') return '';
  const { delta, text } = event.data;
  if (typeof text === 'string' && text.startsWith(sent)) return text.slice(sent.length);
  if (typeof delta === 'string') return delta;
  return '';
}

function usageOf(outcome: AgentRunOutcome): ChatUsage {
  const usage = outcome.usage;
  return { prompt_tokens: usage?.promptTokens ?? 0, completion_tokens: usage?.completionTokens ?? 0, total_tokens: usage?.totalTokens ?? 0 };
}

/** Why `agent.start` refused, as an OpenAI error; anything unexpected is rethrown (a 500). */
function startFailure(error: unknown): unknown {
  if (!(error instanceof GatewayError)) return error;
  const code = error.detailCode;
  if (code === 'AGENT_NOT_CONFIGURED' || error.code === 'UNAVAILABLE') {
    return new OpenAIHttpError(503, error.message, { type: 'server_error', code: code.toLowerCase() });
  }
  if (error.code === 'INVALID_REQUEST') return new OpenAIHttpError(400, error.message, { code: code.toLowerCase() });
  return error;
}

/** A run that ended in error: a model-side failure is the upstream's (502), anything else ours (500). */
function runFailure(outcome: AgentRunOutcome): OpenAIHttpError {
  const code = outcome.error?.code ?? 'RUN_FAILED';
  const message = outcome.error?.message ?? 'the agent run failed';
  if (code === 'MODEL_CONTEXT_LENGTH') return new OpenAIHttpError(400, message, { code: 'context_length_exceeded', param: 'messages' });
  if (code === 'MODEL_NOT_CONFIGURED' || code === 'AGENT_NOT_CONFIGURED') return new OpenAIHttpError(503, message, { code: code.toLowerCase() });
  if (code.startsWith('MODEL_')) return new OpenAIHttpError(502, message, { type: 'server_error', code: code.toLowerCase() });
  return new OpenAIHttpError(500, message, { type: 'server_error', code: code.toLowerCase() });
}

function answerError(deps: OpenAIRouteDeps, request: IncomingMessage, response: ServerResponse, error: unknown): void {
  request.resume();
  if (response.headersSent) {
    // Part of an answer went out (a stream): the only honest answer left is to cut the connection.
    response.destroy();
    return;
  }
  if (error instanceof OpenAIHttpError) {
    return json(response, error.status, error.toBody(), error.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
  }
  deps.log.error(`HTTP ${safeText(request.method ?? '?')} ${safeText((request.url ?? '').slice(0, 200))} failed: ${(error as Error)?.stack ?? String(error)}`);
  json(response, 500, new OpenAIHttpError(500, 'the gateway could not answer this request; see its log', { code: 'internal_error' }).toBody());
}

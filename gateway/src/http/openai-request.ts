/**
 * The edge of `/v1/chat/completions`: read a bounded JSON body, validate an OpenAI Chat Completions
 * request, and map it onto one agent run. Nothing here trusts the client: the body is capped, image
 * parts must be inline `data:` URLs (the gateway never fetches a URL a client names), the session
 * key is validated, and client-supplied tools are refused rather than silently ignored.
 *
 * Errors are OpenAI-shaped (`{"error":{"message","type","param","code"}}`) because OpenAI clients
 * parse that shape, not the gateway's.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseSessionKey } from '../agent/sessions/session-key.js';
import type { RunImage } from '../agent/service-types.js';
import { sniffImage } from '../media/sniff-image.js';

export type OpenAIErrorType = 'invalid_request_error' | 'authentication_error' | 'server_error' | 'service_unavailable_error';

/** An answer in OpenAI's error shape; `status` is the HTTP status. */
export class OpenAIHttpError extends Error {
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly code: string | null;

  constructor(
    readonly status: number,
    message: string,
    options: { type?: OpenAIErrorType; param?: string | null; code?: string | null } = {},
  ) {
    super(message);
    this.name = 'OpenAIHttpError';
    this.type = options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }

  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export interface OpenAILimits {
  /** Largest request body read, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Most images in the last user message. */
  maxImages: number;
  /** Largest decoded image, in bytes. */
  maxImageBytes: number;
}

export const DEFAULT_OPENAI_LIMITS: OpenAILimits = { maxBodyBytes: 1024 * 1024, maxImages: 4, maxImageBytes: 768 * 1024 };

const invalid = (message: string, param: string | null = null, code: string | null = null) => new OpenAIHttpError(400, message, { param, code });

/**
 * The request body, parsed as JSON: `application/json` only, at most `maxBytes`. The body is read
 * to the end (and dropped) on refusal, so the error reaches the client instead of a reset.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type !== 'application/json') {
    request.resume();
    throw new OpenAIHttpError(415, 'send the request body as JSON with Content-Type: application/json', { code: 'unsupported_media_type' });
  }
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    request.resume();
    throw new OpenAIHttpError(415, `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not accepted; send the body uncompressed`, { code: 'unsupported_media_type' });
  }
  const tooLarge = () => new OpenAIHttpError(413, `the request body exceeds ${maxBytes} bytes; send smaller images or a shorter conversation`, { code: 'request_too_large' });
  const declared = request.headers['content-length'];
  if (declared !== undefined && !(Number(declared) <= maxBytes)) {
    request.resume();
    throw tooLarge();
  }
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBytes) {
        // Keep reading (and dropping) what remains; answer now.
        refused = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    // The client went away mid-body: nobody is left to answer, so no error is logged for it.
    const gone = () => reject(invalid('the client closed the connection before the body was complete', null, 'incomplete_body'));
    request.on('error', gone);
    request.on('aborted', gone);
  });
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('the request body is not valid JSON', null, 'invalid_json');
  }
}

/** What one chat completion request asks for, after validation. */
export interface ChatCompletionPlan {
  /** Echoed back as `model` (any string; the gateway runs its own configured model). */
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /** The run's message: the last user message's text, after a labelled transcript of earlier turns when there were any. */
  message: string;
  /** The client's system/developer messages, joined; undefined when there were none. */
  extraSystemPrompt: string | undefined;
  /** The last user message's images. */
  images: RunImage[];
  /** A safe `user` field (usable in a session key), else undefined. */
  user: string | undefined;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const SAFE_USER = /^[A-Za-z0-9._@+-]{1,128}$/;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/]*={0,2})$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseChatRequest(body: unknown, limits: OpenAILimits = DEFAULT_OPENAI_LIMITS): ChatCompletionPlan {
  if (!isRecord(body)) throw invalid('the request body must be a JSON object', null, 'invalid_request');
  const model = body.model === undefined || body.model === null ? 'tether' : body.model;
  if (typeof model !== 'string' || model.length > 256) throw invalid('`model` must be a string (any value; the gateway runs its own configured model)', 'model');
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw invalid('`stream` must be a boolean', 'stream');
  const stream = body.stream === true;
  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw invalid('only n=1 is supported: the gateway runs one agent turn per request', 'n', 'n_not_supported');
  refuseClientTools(body);

  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw invalid('`messages` is required: a non-empty array ending with a user message', 'messages');
  const system: string[] = [];
  const turns: { role: string; index: number; value: Record<string, unknown> }[] = [];
  messages.forEach((value, index) => {
    const param = `messages[${index}]`;
    if (!isRecord(value)) throw invalid(`${param} must be an object with a role`, param);
    const role = value.role;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw invalid(`${param}.role must be one of system, developer, user, assistant, tool`, `${param}.role`);
    }
    if (role === 'system' || role === 'developer') {
      const text = textOf(value.content, `${param}.content`, false).text;
      if (text.trim() !== '') system.push(text);
    } else {
      turns.push({ role, index, value });
    }
  });
  const last = turns[turns.length - 1];
  if (!last || last.role !== 'user') throw invalid('`messages` must end with a user message (after any system messages)', 'messages', 'missing_user_message');

  const history: string[] = [];
  for (const turn of turns.slice(0, -1)) history.push(transcriptLine(turn.role, turn.value, `messages[${turn.index}]`));
  const current = userContent(last.value.content, `messages[${last.index}].content`, limits);
  if (current.text.trim() === '' && current.images.length === 0) throw invalid('the last user message is empty', `messages[${last.index}].content`);

  const message =
    history.length === 0
      ? current.text
      : `[Earlier conversation, as sent by the client]\n${history.join('\n')}\n[End of earlier conversation]\n\n${current.text}`;
  const user = typeof body.user === 'string' && SAFE_USER.test(body.user) ? body.user : undefined;
  return { model, stream, includeUsage, message, extraSystemPrompt: system.length > 0 ? system.join('\n\n') : undefined, images: current.images, user };
}

/**
 * Client tools are refused: this endpoint runs the gateway's own device tools, and a client whose
 * tools are silently ignored (OpenClaw) waits for tool calls that never come.
 */
function refuseClientTools(body: Record<string, unknown>): void {
  const offered = (Array.isArray(body.tools) && body.tools.length > 0) || (Array.isArray(body.functions) && body.functions.length > 0);
  if (body.tools !== undefined && body.tools !== null && !Array.isArray(body.tools)) throw invalid('`tools` must be an array', 'tools');
  if (!offered) return;
  if (body.tool_choice === 'none' && !(Array.isArray(body.functions) && body.functions.length > 0)) return;
  throw invalid(
    "client tools are not supported: this endpoint runs the gateway's own device tools; client tools are not executed. Omit `tools` (or send tool_choice: \"none\")",
    'tools',
    'tools_not_supported',
  );
}

interface Content {
  text: string;
  images: RunImage[];
}

/** Text-only content (system, developer, assistant, tool): a string, null (when allowed) or text parts. */
function textOf(content: unknown, param: string, allowNull: boolean): Content {
  if (typeof content === 'string') return { text: content, images: [] };
  if ((content === null || content === undefined) && allowNull) return { text: '', images: [] };
  if (!Array.isArray(content)) throw invalid(`${param} must be a string or an array of content parts`, param);
  const texts: string[] = [];
  content.forEach((part, index) => {
    const at = `${param}[${index}]`;
    if (!isRecord(part)) throw invalid(`${at} must be a content part object`, at);
    if ((part.type === 'text' || part.type === 'refusal') && typeof (part.text ?? part.refusal) === 'string') texts.push(String(part.text ?? part.refusal));
    else throw invalid(`${at} must be a text part ({"type":"text","text":"…"}); only user messages may carry images`, at);
  });
  return { text: texts.join('\n'), images: [] };
}

function userContent(content: unknown, param: string, limits: OpenAILimits): Content {
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) throw invalid(`${param} must be a string or an array of content parts`, param);
  const texts: string[] = [];
  const images: RunImage[] = [];
  content.forEach((part, index) => {
    const at = `${param}[${index}]`;
    if (!isRecord(part)) throw invalid(`${at} must be a content part object`, at);
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw invalid(`${at}.text must be a string`, `${at}.text`);
      texts.push(part.text);
    } else if (part.type === 'image_url') {
      if (images.length >= limits.maxImages) throw invalid(`at most ${limits.maxImages} images per message`, at, 'too_many_images');
      images.push(parseImage(part.image_url, `${at}.image_url`, limits));
    } else {
      throw invalid(`${at}.type must be "text" or "image_url"`, `${at}.type`, 'unsupported_content_part');
    }
  });
  return { text: texts.join('\n'), images };
}

function parseImage(value: unknown, param: string, limits: OpenAILimits): RunImage {
  const url = isRecord(value) ? value.url : typeof value === 'string' ? value : undefined;
  if (typeof url !== 'string') throw invalid(`${param}.url must be a string`, `${param}.url`);
  if (!url.startsWith('data:')) {
    throw invalid(
      'image_url must be an inline data: URL (data:image/png;base64,…); the gateway never fetches a URL a client names, so http(s) image URLs are refused',
      `${param}.url`,
      'image_url_not_supported',
    );
  }
  const match = DATA_URL.exec(url);
  if (!match) throw invalid('image_url is not a base64 data: URL (data:<image type>;base64,<data>)', `${param}.url`, 'invalid_image');
  const mimeType = match[1]!.toLowerCase();
  if (!IMAGE_TYPES.has(mimeType)) throw invalid(`image type ${mimeType} is not accepted; send PNG, JPEG, GIF or WebP`, `${param}.url`, 'invalid_image');
  const base64 = match[2]!;
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw invalid('image_url holds no image data', `${param}.url`, 'invalid_image');
  if (bytes.length > limits.maxImageBytes) throw invalid(`an image is ${bytes.length} bytes; the limit is ${limits.maxImageBytes}`, `${param}.url`, 'image_too_large');
  if (sniffImage(bytes) !== mimeType) throw invalid(`image_url declares ${mimeType} but its data is not that image type`, `${param}.url`, 'invalid_image');
  return { mimeType, base64 };
}

/** One earlier turn as a labelled transcript line; images there are named, not sent. */
function transcriptLine(role: string, message: Record<string, unknown>, param: string): string {
  if (role === 'user') {
    const parts = Array.isArray(message.content) ? message.content : undefined;
    const text = parts ? parts.filter((p) => isRecord(p) && p.type === 'text' && typeof p.text === 'string').map((p) => (p as { text: string }).text).join('\n') : message.content;
    if (typeof text !== 'string') throw invalid(`${param}.content must be a string or an array of content parts`, `${param}.content`);
    const images = parts ? parts.filter((p) => isRecord(p) && p.type === 'image_url').length : 0;
    return `User: ${text}${images > 0 ? ` [${images} image${images > 1 ? 's' : ''} not shown]` : ''}`;
  }
  if (role === 'assistant') {
    const text = textOf(message.content, `${param}.content`, true).text;
    const calls = Array.isArray(message.tool_calls)
      ? message.tool_calls.map((call) => (isRecord(call) && isRecord(call.function) && typeof call.function.name === 'string' ? call.function.name.slice(0, 64) : '?'))
      : [];
    return `Assistant: ${text}${calls.length > 0 ? ` [called tools: ${calls.join(', ')}]` : ''}`;
  }
  const id = typeof message.tool_call_id === 'string' ? message.tool_call_id.slice(0, 64) : '?';
  return `Tool result (${id}): ${textOf(message.content, `${param}.content`, false).text}`;
}

export const SESSION_HEADERS = ['x-tether-session-key', 'x-openclaw-session-key'] as const;

/**
 * The session a request runs on: a validated `X-Tether-Session-Key` (or `X-OpenClaw-Session-Key`),
 * else `agent:main:openai-user:<user>` for a safe `user`, else a fresh `agent:main:openai:<uuid>`.
 */
export function resolveSessionKey(request: IncomingMessage, user: string | undefined): string {
  const presented = SESSION_HEADERS.map((name) => request.headers[name]).filter((value) => value !== undefined);
  if (presented.length > 0) {
    const [first] = presented;
    if (presented.some((value) => typeof value !== 'string' || value !== first) || typeof first !== 'string') {
      throw invalid('send one session key (X-Tether-Session-Key), once', 'x-tether-session-key', 'invalid_session_key');
    }
    try {
      parseSessionKey(first);
    } catch (error) {
      throw invalid((error as Error).message, 'x-tether-session-key', 'invalid_session_key');
    }
    return first;
  }
  if (user !== undefined) return `agent:main:openai-user:${user}`;
  return `agent:main:openai:${randomUUID()}`;
}

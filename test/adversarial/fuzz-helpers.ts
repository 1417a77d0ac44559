/**
 * Shared pieces of the fuzz tests: reproducible fast-check parameters, a JSON mutator that reaches
 * any depth (type confusion, prototype keys, huge numbers, oversize values), and bounded raw
 * WebSocket / TCP exchanges that never leave a socket open.
 */
import { connect as tcpConnect } from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * fast-check prints `{ seed, path }` on failure; feed them back with TETHER_FUZZ_SEED and
 * TETHER_FUZZ_PATH to replay exactly that case. TETHER_FUZZ_SCALE multiplies the run counts (a
 * nightly job can fuzz 10x longer than CI). The time limit keeps a loaded CI box inside the test
 * timeout: fewer runs rather than a spurious failure.
 */
export function fuzzParams<Ts>(numRuns: number, timeLimitMs?: number): fc.Parameters<Ts> {
  const scale = Number(process.env.TETHER_FUZZ_SCALE ?? '1');
  const params: fc.Parameters<Ts> = { numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(scale) ? scale : 1))) };
  if (process.env.TETHER_FUZZ_SEED) params.seed = Number(process.env.TETHER_FUZZ_SEED);
  if (process.env.TETHER_FUZZ_PATH) params.path = process.env.TETHER_FUZZ_PATH;
  if (timeLimitMs !== undefined) params.interruptAfterTimeLimit = timeLimitMs * (Number.isFinite(scale) && scale > 1 ? scale : 1);
  return params;
}

/** Keys that break naive `obj[key]` lookups, plus the frame fields a parser might trust. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const FIELD_KEYS = ['type', 'id', 'method', 'params', 'ok', 'payload', 'error', 'event', 'seq', 'code', 'message', 'details'];
export const keyArb: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, ...FIELD_KEYS), fc.string({ maxLength: 12 }));

/**
 * What an edit writes. Oversize values are described, not built, so a failing case prints as
 * `{"long":"string","length":70000}` instead of 70 kB of counterexample.
 */
export type EditValue = Json | { long: 'string' | 'array'; length: number };

/** Values chosen to confuse: boundary numbers, control and bidi characters, oversize strings and arrays. */
export const nastyValueArb: fc.Arbitrary<EditValue> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, weight: 3 },
  {
    arbitrary: fc.constantFrom<Json>(
      -1, 0, 1.5, -2147483649, 2 ** 53 + 2, 1e308, -1e308, Number.MIN_VALUE, '', ' ', '\u0000', '\u202e', '\ud800', 'null', 'true', '0',
      '__proto__', [], {}, [null], JSON.parse('{"__proto__":{"admin":true}}') as Json,
    ),
    weight: 3,
  },
  { arbitrary: fc.record({ long: fc.constant('string' as const), length: fc.integer({ min: 200, max: 80_000 }) }), weight: 1 },
  { arbitrary: fc.record({ long: fc.constant('array' as const), length: fc.integer({ min: 65, max: 3_000 }) }), weight: 1 },
);

/** A fresh copy each time: fast-check reuses generated values across runs and shrinks. */
export function buildValue(value: EditValue): Json {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'long' in value && typeof value.length === 'number' && Object.keys(value).length === 2) {
    return value.long === 'string' ? 'x'.repeat(value.length) : Array.from({ length: value.length }, () => 'operator.read');
  }
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** One edit somewhere in a JSON tree; `path` picks a child at each level (modulo its size). */
export interface JsonEdit {
  path: number[];
  op: 'replace' | 'remove' | 'add' | 'retype';
  key: string;
  value: EditValue;
}

export const jsonEditArb: fc.Arbitrary<JsonEdit> = fc.record({
  path: fc.array(fc.nat(), { maxLength: 6 }),
  op: fc.constantFrom('replace', 'remove', 'add', 'retype'),
  key: keyArb,
  value: nastyValueArb,
});

function isContainer(value: unknown): value is Json[] | { [key: string]: Json } {
  return typeof value === 'object' && value !== null;
}

/** Sets an own property even for `__proto__`, which plain assignment would turn into a prototype change. */
function setOwn(target: Json[] | { [key: string]: Json }, key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The same value under another JSON type: what a sloppy or hostile peer sends instead. */
export function retype(value: Json): Json {
  if (typeof value === 'string') return value === '' ? 0 : Number.isNaN(Number(value)) ? [value] : Number(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 0;
  if (value === null) return {};
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), v]));
  return Object.values(value);
}

/** Applies edits to a deep copy (JSON round trip keeps own `__proto__` keys as data). */
export function applyEdits(original: Json, edits: readonly JsonEdit[]): Json {
  let root = JSON.parse(JSON.stringify(original)) as Json;
  for (const edit of edits) {
    let parent: Json[] | { [key: string]: Json } | undefined;
    let key: string | number | undefined;
    let node: Json = root;
    for (const step of edit.path) {
      if (!isContainer(node)) break;
      const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
      if (keys.length === 0) break;
      parent = node;
      key = keys[step % keys.length]!;
      node = (node as Record<string | number, Json>)[key]!;
    }
    const value = buildValue(edit.value);
    if (edit.op === 'add') {
      const target = isContainer(node) ? node : parent;
      if (!target) root = { [edit.key]: value, value: root };
      else if (Array.isArray(target)) target.push(value);
      else setOwn(target, edit.key, value);
      continue;
    }
    const next = edit.op === 'replace' ? value : edit.op === 'retype' ? retype(node) : undefined;
    if (parent === undefined || key === undefined) root = next ?? null;
    else if (next !== undefined) setOwn(parent, key, next);
    else if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  }
  return root;
}

/** Byte-level damage to JSON text that a JSON-level edit cannot express. */
export interface TextEdit {
  op: 'truncate' | 'insert' | 'delete' | 'huge-number' | 'duplicate-key' | 'none';
  at: number;
  text: string;
}

export const textEditArb: fc.Arbitrary<TextEdit> = fc.record({
  op: fc.constantFrom('truncate', 'insert', 'delete', 'huge-number', 'duplicate-key', 'none', 'none', 'none'),
  at: fc.nat(),
  text: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('"', '\\', '{', '}', ',', '\u0000', '\ud800', '1e400')),
});

export function applyTextEdit(text: string, edit: TextEdit): string {
  const at = text.length === 0 ? 0 : edit.at % text.length;
  switch (edit.op) {
    case 'truncate':
      return text.slice(0, at);
    case 'insert':
      return text.slice(0, at) + edit.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + 1);
    case 'huge-number':
      // 1e400 parses to Infinity, -0 to -0: values JSON.stringify can never produce.
      return text.replace(/-?\d+(\.\d+)?([eE][-+]?\d+)?/, ['1e400', '-1e400', '-0', '1E+9999', '0.0000001e-400'][edit.at % 5]!);
    case 'duplicate-key':
      // JSON.parse keeps the last duplicate; a validator that looked at the first would disagree.
      return text.replace('{', `{"type":${JSON.stringify(edit.text)},`);
    case 'none':
      return text;
  }
}

export interface WsOutcome {
  /** Text messages from the server after the challenge, unparsed. */
  messages: string[];
  binaryMessages: number;
  close?: { code: number; reason: string };
  timedOut: boolean;
  errors: string[];
}

export type WsSend = string | { binary: Uint8Array };

/**
 * Opens a socket, waits for `connect.challenge`, sends what `script` returns, and collects every
 * message until the server closes, `stopWhen` says enough (we then close), or the deadline passes
 * (we then terminate). Always resolves; the socket is gone when it does.
 */
export function wsExchange(
  url: string,
  script: (challenge: { nonce: string; ts: number }) => WsSend[],
  options: { timeoutMs?: number; stopWhen?: (messages: string[]) => boolean; onReady?: (messages: string[], send: (data: WsSend) => void) => void } = {},
): Promise<WsOutcome & { challenge?: { nonce: string; ts: number } }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const outcome: WsOutcome & { challenge?: { nonce: string; ts: number } } = { messages: [], binaryMessages: 0, timedOut: false, errors: [] };
    const send = (data: WsSend) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (typeof data === 'string') ws.send(data);
      else ws.send(data.binary, { binary: true });
    };
    const timer = setTimeout(() => {
      outcome.timedOut = true;
      ws.terminate();
    }, options.timeoutMs ?? 5_000);
    ws.on('error', (error) => outcome.errors.push(error.message));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return void outcome.binaryMessages++;
      const text = data.toString();
      if (!outcome.challenge) {
        const challenge = (JSON.parse(text) as { payload: { nonce: string; ts: number } }).payload;
        outcome.challenge = challenge;
        for (const frame of script(challenge)) send(frame);
        return;
      }
      outcome.messages.push(text);
      options.onReady?.(outcome.messages, send);
      if (options.stopWhen?.(outcome.messages)) ws.close(1000, 'fuzz done');
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      if (!outcome.timedOut) outcome.close = { code, reason: reason.toString() };
      resolve(outcome);
    });
  });
}

export interface TcpOutcome {
  data: Buffer;
  timedOut: boolean;
  error?: string;
}

/** Writes raw bytes to a TCP port, half-closes, and collects everything until the peer closes. */
export function tcpExchange(port: number, bytes: Uint8Array, timeoutMs = 5_000): Promise<TcpOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let timedOut = false;
    const socket = tcpConnect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (e) => (error = e.message));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), timedOut, ...(error !== undefined && { error }) });
    });
  });
}

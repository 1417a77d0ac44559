/**
 * Shared pieces of the fuzz tests: reproducible fast-check parameters, a JSON mutator that reaches
 * any depth (type confusion, prototype keys, huge numbers, oversize values), and bounded raw
 * WebSocket / TCP exchanges that never leave a socket open.
 */
import fc from 'fast-check';
import WebSocket from 'ws';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * fast-check prints `{ seed, path }` on failure; feed them back with TETHER_FUZZ_SEED and
 * TETHER_FUZZ_PATH, selecting that one test with `vitest run <file> -t '<name>'` (a path only
 * means something to the property it came from), to replay exactly that case.
 * TETHER_FUZZ_SCALE multiplies run counts and time limits (a nightly job can fuzz 10x longer than
 * CI). The time limit keeps a loaded CI box inside the test timeout: fewer runs rather than a
 * spurious failure.
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
 * (we then terminate). Resolves with what happened (rejects only when `script` throws); the socket
 * is gone either way.
 */
export function wsExchange(
  url: string,
  script: (challenge: { nonce: string; ts: number }) => WsSend[],
  options: { timeoutMs?: number; stopWhen?: (messages: string[]) => boolean; onReady?: (messages: string[], send: (data: WsSend) => void) => void } = {},
): Promise<WsOutcome & { challenge?: { nonce: string; ts: number } }> {
  return new Promise((resolve, reject) => {
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
        try {
          for (const frame of script(challenge)) send(frame);
        } catch (error) {
          // A bug in the test's own script: fail loudly instead of waiting for the deadline.
          clearTimeout(timer);
          ws.terminate();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
        return;
      }
      outcome.messages.push(text);
      try {
        options.onReady?.(outcome.messages, send);
        if (options.stopWhen?.(outcome.messages)) ws.close(1000, 'fuzz done');
      } catch (error) {
        clearTimeout(timer);
        ws.terminate();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      if (!outcome.timedOut) outcome.close = { code, reason: reason.toString() };
      resolve(outcome);
    });
  });
}

/*
 * Targeted damage to a signed connect frame: each field the proof or the claims depend on, with
 * variants that must be refused and a few the gateway may legitimately accept (a PEM or padded
 * key, an upper-case platform): the oracle in the handshake test tells which is which.
 */
const VARIANTS = {
  'device.signature': ['flip-first', 'flip-middle', 'flip-last', 'truncate', 'append-A', 'append-junk', 'insert-junk', 'std-base64', 'trailing-bits', 'other-key', 'empty', 'number', 'null', 'remove'],
  'device.nonce': ['other-uuid', 'upper', 'pad-space', 'empty', 'blank', 'number', 'remove'],
  'device.publicKey': ['other-key', 'flip', 'std-base64', 'pem', 'other-pem', 'truncate', 'empty', 'number', 'remove', 'with-spaces', 'oversize'],
  'device.id': ['other-id', 'upper', 'truncate', 'flip', 'empty', 'remove', 'number', '__proto__'],
  'device.signedAt': ['plus-1', 'minus-1', 'minus-skew', 'plus-skew', 'zero', 'negative', 'float', 'string', 'huge', 'remove'],
  role: ['node', 'admin', 'Operator', 'empty', 'remove', 'number'],
  scopes: ['add-admin', 'add-write', 'duplicate', 'empty', 'remove', 'padded', 'unknown', 'upper', 'null-entry', 'string', 'too-many'],
  'client.id': ['cli', 'empty', 'upper', 'remove', 'oversize'],
  'client.mode': ['node', 'cli', 'empty', 'remove'],
  'client.platform': ['upper', 'padded', 'other', 'remove', 'oversize'],
  'client.deviceFamily': ['upper', 'other', 'remove'],
  'client.displayName': ['other', 'oversize', 'control'],
  client: ['extra-field', 'null', 'remove'],
  'auth.deviceToken': ['flip', 'remove', 'as-token', 'as-bootstrap', 'empty', 'oversize'],
  auth: ['remove', 'add-wrong-shared', 'extra-field'],
  device: ['remove', 'null', 'array', 'extra-field'],
  params: ['extra-field', 'proto-key', 'constructor-key', 'min-99', 'max-0', 'swap-min-max', 'null', 'remove', 'caps-oversize'],
  frame: ['id-empty', 'id-oversize', 'method-upper', 'type-event', 'extra-field'],
} as const;

type Field = keyof typeof VARIANTS;
export interface FieldMutation {
  field: Field;
  how: string;
}

/** Every variant, for a test that each one is implemented. */
export const ALL_FIELD_MUTATIONS: FieldMutation[] = (Object.keys(VARIANTS) as Field[]).flatMap((field) => VARIANTS[field].map((how) => ({ field, how })));

export const fieldMutationArb: fc.Arbitrary<FieldMutation> = fc
  .constantFrom(...(Object.keys(VARIANTS) as Field[]))
  .chain((field) => fc.constantFrom(...VARIANTS[field]).map((how) => ({ field, how })));

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const swapChar = (text: string, i: number) => {
  const at = ((i % text.length) + text.length) % text.length;
  const c = text[at]!;
  return text.slice(0, at) + (c === 'A' ? 'B' : 'A') + text.slice(at + 1);
};
/**
 * An SPKI PEM of whatever bytes `raw` holds. Written out by hand, not through createPublicKey: an
 * earlier mutation may have left a key that is not 32 bytes (empty, truncated), and a malformed PEM is
 * exactly what the gateway must refuse, so the mutator must produce it instead of throwing.
 */
const pemOf = (raw: string) => {
  const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(raw, 'base64url')]).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${der.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END PUBLIC KEY-----\n`;
};

/** The new value for one variant (`undefined` removes the field). */
function variantValue(field: Field, how: string, cur: Json | undefined, ctx: { challenge: { nonce: string; ts: number }; other: { publicKey: string; deviceId: string; sign(p: string): string } }): Json | undefined {
  const s = typeof cur === 'string' ? cur : '';
  const n = typeof cur === 'number' ? cur : 0;
  const common: Record<string, Json | undefined> = { remove: undefined, empty: '', blank: '   ', number: 123, null: null, array: [], oversize: 'x'.repeat(2_000), other: 'Mac', upper: s.toUpperCase() };
  switch (`${field}:${how}`) {
    case 'device.signature:flip-first': return swapChar(s, 0);
    case 'device.signature:flip-middle': return swapChar(s, 40);
    case 'device.signature:flip-last': return swapChar(s, -1);
    case 'device.signature:truncate': return s.slice(0, -1);
    case 'device.signature:append-A': return `${s}A`;
    case 'device.signature:append-junk': return `${s}!`;
    case 'device.signature:insert-junk': return `${s.slice(0, 43)}.${s.slice(43)}`;
    case 'device.signature:std-base64': return Buffer.from(s, 'base64url').toString('base64');
    // The last of 86 characters carries 2 bits; flipping its lowest bit leaves the bytes alone.
    case 'device.signature:trailing-bits': return s.slice(0, -1) + B64URL[B64URL.indexOf(s.slice(-1)) ^ 1];
    case 'device.signature:other-key': return ctx.other.sign('not this payload');
    case 'device.nonce:other-uuid': return '00000000-0000-4000-8000-000000000000';
    case 'device.nonce:pad-space': return ` ${s}`;
    case 'device.publicKey:other-key': return ctx.other.publicKey;
    case 'device.publicKey:flip': return swapChar(s, 5);
    case 'device.publicKey:std-base64': return Buffer.from(s, 'base64url').toString('base64');
    case 'device.publicKey:pem': return pemOf(s);
    case 'device.publicKey:other-pem': return pemOf(ctx.other.publicKey);
    case 'device.publicKey:truncate': return s.slice(0, -2);
    case 'device.publicKey:with-spaces': return ` ${s} `;
    case 'device.id:other-id': return ctx.other.deviceId;
    case 'device.id:truncate': return s.slice(0, -1);
    case 'device.id:flip': return s.slice(0, -1) + (s.endsWith('0') ? '1' : '0');
    case 'device.id:__proto__': return '__proto__';
    case 'device.signedAt:plus-1': return n + 1;
    case 'device.signedAt:minus-1': return n - 1;
    case 'device.signedAt:minus-skew': return n - 121_000;
    case 'device.signedAt:plus-skew': return n + 121_000;
    case 'device.signedAt:zero': return 0;
    case 'device.signedAt:negative': return -1;
    case 'device.signedAt:float': return n + 0.5;
    case 'device.signedAt:string': return String(n);
    case 'device.signedAt:huge': return 1e300;
    case 'role:node': return 'node';
    case 'role:admin': return 'admin';
    case 'role:Operator': return 'Operator';
    case 'scopes:add-admin': return [...(Array.isArray(cur) ? cur : []), 'operator.admin'];
    case 'scopes:add-write': return [...(Array.isArray(cur) ? cur : []), 'operator.write'];
    case 'scopes:duplicate': return [...(Array.isArray(cur) ? cur : []), ...(Array.isArray(cur) ? cur : [])];
    case 'scopes:empty': return [];
    case 'scopes:padded': return ['operator.read '];
    case 'scopes:unknown': return ['operator.root'];
    case 'scopes:upper': return ['OPERATOR.READ'];
    case 'scopes:null-entry': return [null];
    case 'scopes:string': return 'operator.read';
    case 'scopes:too-many': return Array.from({ length: 65 }, () => 'operator.read');
    case 'client.id:cli': return 'cli';
    case 'client.mode:node': return 'node';
    case 'client.mode:cli': return 'cli';
    case 'client.platform:padded': return ` ${s} `;
    case 'client.platform:other': return 'macos';
    case 'client.displayName:other': return 'someone else';
    case 'client.displayName:control': return 'a\u001b[2Jb\u0000';
    case 'auth.deviceToken:flip': return swapChar(s, 3);
    case 'auth.deviceToken:oversize': return 'x'.repeat(1_025);
    case 'params:caps-oversize': return Array.from({ length: 257 }, () => 'c');
    case 'params:min-99': return 99;
    case 'params:max-0': return 0;
    case 'frame:id-empty': return '';
    case 'frame:id-oversize': return 'i'.repeat(257);
    case 'frame:method-upper': return 'Connect';
    case 'frame:type-event': return 'event';
  }
  if (how in common) return common[how];
  throw new Error(`no variant ${field}:${how}`);
}

function setOrDelete(target: { [key: string]: Json }, key: string, value: Json | undefined): void {
  if (value === undefined) delete target[key];
  else setOwn(target, key, value);
}

/** Applies one targeted mutation to a copy of a connect frame. */
export function mutateConnect(frame: Json, m: FieldMutation, ctx: Parameters<typeof variantValue>[3]): Json {
  const root = JSON.parse(JSON.stringify(frame)) as { [key: string]: Json };
  if (m.field === 'frame') {
    if (m.how === 'extra-field') setOwn(root, 'evil', true);
    else {
      const key = m.how.startsWith('id') ? 'id' : m.how.startsWith('method') ? 'method' : 'type';
      setOrDelete(root, key, variantValue(m.field, m.how, root[key], ctx));
    }
    return root;
  }
  // An earlier mutation may have removed or replaced params: then there is nothing left to damage.
  if (!isContainer(root.params) || Array.isArray(root.params)) return root;
  const params = root.params;
  const objectAt = (key: string) => (isContainer(params[key]) && !Array.isArray(params[key]) ? (params[key] as { [key: string]: Json }) : undefined);
  const [head, tail] = m.field.split('.') as [string, string | undefined];
  if (tail !== undefined) {
    const container = head === 'auth' ? (objectAt('auth') ?? (params.auth = {})) : objectAt(head);
    if (!container) return root;
    if (m.field === 'auth.deviceToken' && (m.how === 'as-token' || m.how === 'as-bootstrap')) {
      setOwn(container, m.how === 'as-token' ? 'token' : 'bootstrapToken', container.deviceToken ?? null);
      delete container.deviceToken;
      return root;
    }
    setOrDelete(container, tail, variantValue(m.field, m.how, container[tail], ctx));
    return root;
  }
  if (m.how === 'extra-field') {
    const target = m.field === 'params' ? params : objectAt(m.field);
    if (target) setOwn(target, 'evil', true);
    return root;
  }
  if (m.field === 'auth' && m.how === 'add-wrong-shared') {
    setOwn(objectAt('auth') ?? (params.auth = {}), 'token', 'not-the-shared-token-0123456789');
    return root;
  }
  if (m.field === 'params' && (m.how === 'proto-key' || m.how === 'constructor-key')) {
    setOwn(params, m.how === 'proto-key' ? '__proto__' : 'constructor', { role: 'admin', scopes: ['operator.admin'] });
    return root;
  }
  if (m.field === 'params' && m.how === 'swap-min-max') {
    [params.minProtocol, params.maxProtocol] = [params.maxProtocol ?? null, params.minProtocol ?? null];
    return root;
  }
  if (m.field === 'params' && (m.how === 'min-99' || m.how === 'max-0' || m.how === 'caps-oversize')) {
    const key = m.how === 'min-99' ? 'minProtocol' : m.how === 'max-0' ? 'maxProtocol' : 'caps';
    setOrDelete(params, key, variantValue(m.field, m.how, params[key], ctx));
    return root;
  }
  if (m.field === 'params') {
    setOrDelete(root, 'params', variantValue(m.field, m.how, params, ctx));
    return root;
  }
  setOrDelete(params, m.field, variantValue(m.field, m.how, params[m.field], ctx));
  return root;
}

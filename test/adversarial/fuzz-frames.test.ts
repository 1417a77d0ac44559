/**
 * Property-based fuzzing of the frame decoders, in process: the gateway's strict `parseFrame` and
 * the client's lenient `parseGatewayFrame`. Both must never throw, and their verdicts are checked
 * against a second, hand-written reading of protocol/src/frames.ts (a differential oracle: Ajv and
 * this model disagreeing on any input is a bug in one of them).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFrame, parseGatewayFrame } from '@tether/protocol';
import { applyEdits, applyTextEdit, fuzzParams, jsonEditArb, textEditArb, type Json } from './fuzz-helpers.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** JSON Schema counts string length in code points, not UTF-16 units. */
const len = (s: string) => [...s].length;
const isStr = (v: unknown, min = 0, max = Infinity): v is string => typeof v === 'string' && len(v) >= min && len(v) <= max;
const isNatInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const onlyKeys = (o: Obj, allowed: string[]) => Object.keys(o).every((k) => allowed.includes(k));

function modelErrorShape(v: unknown): boolean {
  return (
    isObj(v) &&
    onlyKeys(v, ['code', 'message', 'details', 'retryable', 'retryAfterMs']) &&
    isStr(v.code, 1) &&
    isStr(v.message) &&
    (v.retryable === undefined || typeof v.retryable === 'boolean') &&
    (v.retryAfterMs === undefined || isNatInt(v.retryAfterMs))
  );
}

/** frames.ts, read by hand: closed envelopes, open payloads. */
function modelFrame(v: unknown): boolean {
  if (!isObj(v)) return false;
  if (v.type === 'req') {
    return (
      onlyKeys(v, ['type', 'id', 'method', 'params', 'traceparent']) &&
      isStr(v.id, 1, 256) &&
      isStr(v.method, 1, 256) &&
      (v.traceparent === undefined || isStr(v.traceparent, 0, 128))
    );
  }
  if (v.type === 'res') {
    return onlyKeys(v, ['type', 'id', 'ok', 'payload', 'error']) && isStr(v.id) && typeof v.ok === 'boolean' && (v.error === undefined || modelErrorShape(v.error));
  }
  if (v.type === 'event') {
    const sv = v.stateVersion;
    return (
      onlyKeys(v, ['type', 'event', 'payload', 'seq', 'stateVersion']) &&
      isStr(v.event, 1) &&
      (v.seq === undefined || isNatInt(v.seq)) &&
      (sv === undefined || (isObj(sv) && onlyKeys(sv, ['presence', 'health']) && isNatInt(sv.presence) && isNatInt(sv.health)))
    );
  }
  return false;
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Deepest bracket nesting of JSON text; deep values overflow vitest's recursive `toEqual`. */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  for (const c of text) {
    if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return max;
}

let checked = 0;
const started = Date.now();
afterAll(() =>
  console.log(`fuzz-frames: ${checked} inputs through both decoders in ${Date.now() - started} ms`),
);

/** Every property of both decoders, for one input text. */
function checkDecoders(text: string): void {
  checked++;
  const strict = parseFrame(text);
  const parsed = tryJson(text);
  const expected = parsed.ok && modelFrame(parsed.value);
  if (strict.ok) {
    expect(expected, `parseFrame accepted what frames.ts forbids: ${text.slice(0, 300)}`).toBe(true);
    // The frame handed on is the parsed JSON itself: nothing coerced, defaulted or dropped.
    if (nesting(text) < 1_000) expect(strict.frame).toEqual(parsed.ok ? parsed.value : undefined);
    else expect(Object.keys(strict.frame)).toEqual(parsed.ok && isObj(parsed.value) ? Object.keys(parsed.value) : []);
  } else {
    expect(typeof strict.reason).toBe('string');
    expect(strict.reason.length).toBeGreaterThan(0);
    expect(expected, `parseFrame refused a frame frames.ts allows (${strict.reason}): ${text.slice(0, 300)}`).toBe(false);
  }

  const lenient = parseGatewayFrame(text);
  if (lenient !== undefined) {
    expect(parsed.ok && isObj(parsed.value)).toBe(true);
    const v = lenient as unknown as Obj;
    if (v.type === 'res') {
      expect(typeof v.id).toBe('string');
      expect(typeof v.ok).toBe('boolean');
      if (v.error !== undefined) expect(isObj(v.error) && typeof v.error.code === 'string' && typeof v.error.message === 'string').toBe(true);
    } else {
      expect(v.type).toBe('event');
      expect(isStr(v.event, 1)).toBe(true);
      if (v.seq !== undefined) expect(isNatInt(v.seq)).toBe(true);
    }
  }
  // The client's guard is looser than the gateway's schema, never stricter: a frame a correct
  // gateway sends must never be dropped by a client.
  if (strict.ok && expected && strict.frame.type !== 'req') expect(lenient, `client dropped a valid frame: ${text.slice(0, 300)}`).toBeDefined();
}

const id = fc.string({ minLength: 1, maxLength: 40 });
const payload = fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined });
const strip = <T extends Obj>(o: T): Json => JSON.parse(JSON.stringify(o)) as Json;
const validFrameArb: fc.Arbitrary<Json> = fc.oneof(
  fc.record({ type: fc.constant('req'), id, method: fc.constantFrom('connect', 'node.list', 'node.invoke', 'status', 'x'), params: payload, traceparent: fc.option(fc.string({ maxLength: 55 }), { nil: undefined }) }).map(strip),
  fc
    .record({
      type: fc.constant('res'),
      id,
      ok: fc.boolean(),
      payload,
      error: fc.option(fc.record({ code: fc.constantFrom('INVALID_REQUEST', 'NOT_PAIRED', 'UNAVAILABLE'), message: fc.string(), details: payload, retryable: fc.option(fc.boolean(), { nil: undefined }), retryAfterMs: fc.option(fc.nat(), { nil: undefined }) }), { nil: undefined }),
    })
    .map(strip),
  fc.record({ type: fc.constant('event'), event: fc.constantFrom('tick', 'connect.challenge', 'node.invoke.request', 'presence'), payload, seq: fc.option(fc.nat(), { nil: undefined }), stateVersion: fc.option(fc.record({ presence: fc.nat(), health: fc.nat() }), { nil: undefined }) }).map(strip),
);

describe('fuzz: frame decoders', () => {
  it('never throw on arbitrary strings, and agree with the model', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme-ascii', maxLength: 200 })), (text) => checkDecoders(text)), fuzzParams(3_000, 8_000));
  });

  it('never throw on arbitrary JSON, and agree with the model', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => checkDecoders(JSON.stringify(value))), fuzzParams(3_000, 8_000));
  });

  it('accept every valid frame as it is', () => {
    fc.assert(
      fc.property(validFrameArb, (frame) => {
        checkDecoders(JSON.stringify(frame));
        expect(parseFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
      }),
      fuzzParams(1_000, 5_000),
    );
  });

  it('survive deep mutations of valid frames: type confusion, prototype keys, huge numbers, oversize values, broken text', () => {
    fc.assert(
      fc.property(validFrameArb, fc.array(jsonEditArb, { minLength: 1, maxLength: 4 }), textEditArb, (frame, edits, textEdit) => {
        checkDecoders(applyTextEdit(JSON.stringify(applyEdits(frame, edits)), textEdit));
      }),
      fuzzParams(10_000, 15_000),
    );
  });

  it.each([
    ['prototype key in the envelope', '{"type":"req","id":"1","method":"m","__proto__":{"ok":true}}'],
    ['constructor key', '{"type":"res","id":"1","ok":true,"constructor":{}}'],
    ['duplicate type key, last one wins', '{"type":"event","type":"req","id":"1","method":"m"}'],
    ['-0 seq', '{"type":"event","event":"tick","seq":-0}'],
    ['256 astral characters in an id (512 UTF-16 units)', JSON.stringify({ type: 'req', id: '😀'.repeat(256), method: 'm' })],
    ['257 astral characters in an id', JSON.stringify({ type: 'req', id: '😀'.repeat(257), method: 'm' })],
    ['lone surrogate escapes', '{"type":"req","id":"\\ud800","method":"\\udfff"}'],
    ['100 000 levels of nesting in params', `{"type":"req","id":"1","method":"m","params":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
    ['100 000 levels of nesting at the top', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['error with a null prototype key', '{"type":"res","id":"1","ok":false,"error":{"code":"X","message":"m","__proto__":null}}'],
  ])('example: %s', (_name, text) => {
    checkDecoders(text);
  });

  // Ajv's `integer` admits Infinity unless the instance has `strictNumbers: true` (protocol/src/validate.ts).
  // JSON has no Infinity, but `1e400` parses to it: a seq, a timeout, a protocol version.
  it('refuses Infinity (1e400) where frames.ts says integer', () => {
    for (const text of ['{"type":"event","event":"tick","seq":1e400}', '{"type":"res","id":"1","ok":false,"error":{"code":"X","message":"m","retryAfterMs":1e400}}']) {
      expect(parseFrame(text).ok, text).toBe(false);
    }
  });
});

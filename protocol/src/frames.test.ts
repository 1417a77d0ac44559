import { describe, expect, it } from 'vitest';
import { ErrorShapeSchema, EventFrameSchema, RequestFrameSchema, ResponseFrameSchema } from './frames.js';
import { createValidator, parseFrame } from './validate.js';

describe('parseFrame: valid frames', () => {
  it.each([
    ['req with params', { type: 'req', id: '1:6fdf86a8', method: 'node.list', params: {} }],
    ['req without params', { type: 'req', id: 'a', method: 'health' }],
    ['req with traceparent', { type: 'req', id: 'a', method: 'health', traceparent: '00-abc-def-01' }],
    ['res ok with payload', { type: 'res', id: '16:7933b103', ok: true, payload: { ok: true } }],
    [
      'res error',
      {
        type: 'res',
        id: '2',
        ok: false,
        error: { code: 'UNAVAILABLE', message: 'TIMEOUT: node invoke timed out', details: { nodeCommandDispatched: true }, retryable: true },
      },
    ],
    ['event with seq', { type: 'event', event: 'tick', payload: { ts: 1795311161839 }, seq: 1 }],
    ['event with stateVersion', { type: 'event', event: 'health', payload: {}, seq: 2, stateVersion: { presence: 2, health: 6 } }],
    ['targeted event without seq', { type: 'event', event: 'node.invoke.cancel', payload: { invokeId: 'x', nodeId: 'y' } }],
    ['payload with extra keys (payload is open)', { type: 'res', id: '1', ok: true, payload: { anything: 1, more: [1, 2] } }],
  ])('%s', (_name, frame) => {
    const parsed = parseFrame(JSON.stringify(frame));
    expect(parsed).toEqual({ ok: true, frame });
  });
});

describe('parseFrame: invalid frames', () => {
  it.each([
    ['not JSON', '{"type":"req",', 'frame is not valid JSON'],
    ['empty string', '', 'frame is not valid JSON'],
    ['JSON array', '[1,2]', 'frame type must be'],
    ['JSON null', 'null', 'frame is not a JSON object'],
    ['JSON string', '"req"', 'frame is not a JSON object'],
    ['unknown type', '{"type":"request","id":"1","method":"x"}', 'frame type must be "req", "res" or "event"'],
    ['missing type', '{"id":"1","method":"x"}', 'frame type must be'],
    ['req missing id', '{"type":"req","method":"health"}', 'missing required property "id"'],
    ['req empty id', '{"type":"req","id":"","method":"health"}', 'invalid req frame'],
    ['req missing method', '{"type":"req","id":"1"}', 'missing required property "method"'],
    ['req extra envelope key', '{"type":"req","id":"1","method":"health","extra":true}', 'unexpected property "extra"'],
    ['res extra envelope key', '{"type":"res","id":"1","ok":true,"seq":3}', 'unexpected property "seq"'],
    ['event extra envelope key', '{"type":"event","event":"tick","payload":{},"id":"1"}', 'unexpected property "id"'],
    ['res missing ok', '{"type":"res","id":"1"}', 'missing required property "ok"'],
    ['res ok wrong type', '{"type":"res","id":"1","ok":"yes"}', 'invalid res frame'],
    ['res id wrong type', '{"type":"res","id":1,"ok":true}', 'invalid res frame'],
    ['event negative seq', '{"type":"event","event":"tick","seq":-1}', 'invalid event frame'],
    ['event fractional seq', '{"type":"event","event":"tick","seq":1.5}', 'invalid event frame'],
    ['event stateVersion extra key', '{"type":"event","event":"tick","stateVersion":{"presence":1,"health":1,"x":1}}', 'unexpected property "x"'],
    [
      'ErrorShape extra key',
      '{"type":"res","id":"1","ok":false,"error":{"code":"UNAVAILABLE","message":"m","hint":"h"}}',
      'error: unexpected property "hint"',
    ],
    ['ErrorShape missing message', '{"type":"res","id":"1","ok":false,"error":{"code":"UNAVAILABLE"}}', 'missing required property "message"'],
    ['traceparent too long', JSON.stringify({ type: 'req', id: '1', method: 'x', traceparent: 't'.repeat(129) }), 'invalid req frame'],
  ])('%s', (_name, text, reason) => {
    const parsed = parseFrame(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.reason).toContain(reason);
  });
});

// ErrorShape is checked as the `error` of a ResponseFrame: compiling ErrorShapeSchema on its own after
// ResponseFrameSchema makes the shared Ajv instance throw "schema with key or id "ErrorShape" already exists".
const asResponse = (error: unknown) => ({ type: 'res', id: '1', ok: false, error });

describe('frame schemas through createValidator', () => {
  it.each([
    ['RequestFrame', RequestFrameSchema, { type: 'req', id: '1', method: 'm' }, true],
    ['RequestFrame wrong literal', RequestFrameSchema, { type: 'res', id: '1', method: 'm' }, false],
    ['ResponseFrame', ResponseFrameSchema, { type: 'res', id: '1', ok: false, error: { code: 'X', message: '' } }, true],
    ['EventFrame', EventFrameSchema, { type: 'event', event: 'e', seq: 0 }, true],
    ['EventFrame empty event name', EventFrameSchema, { type: 'event', event: '' }, false],
    ['ErrorShape minimal', ResponseFrameSchema, asResponse({ code: 'INVALID_REQUEST', message: 'bad' }), true],
    ['ErrorShape full', ResponseFrameSchema, asResponse({ code: 'UNAVAILABLE', message: 'm', details: { code: 'X' }, retryable: true, retryAfterMs: 1000 }), true],
    ['ErrorShape extra key', ResponseFrameSchema, asResponse({ code: 'UNAVAILABLE', message: 'm', status: 500 }), false],
    ['ErrorShape empty code', ResponseFrameSchema, asResponse({ code: '', message: 'm' }), false],
    ['ErrorShape negative retryAfterMs', ResponseFrameSchema, asResponse({ code: 'X', message: 'm', retryAfterMs: -1 }), false],
    ['ErrorShape retryable not boolean', ResponseFrameSchema, asResponse({ code: 'X', message: 'm', retryable: 'yes' }), false],
  ] as const)('%s', (_name, schema, value, valid) => {
    expect(createValidator(schema).check(value)).toBe(valid);
  });

  it('names the extra ErrorShape key in lastError', () => {
    const validator = createValidator(ResponseFrameSchema);
    expect(validator.check(asResponse({ code: 'X', message: 'm', extra: 1 }))).toBe(false);
    expect(validator.lastError()).toBe('error: unexpected property "extra"');
  });

  it('ErrorShapeSchema is closed', () => {
    expect(ErrorShapeSchema.additionalProperties).toBe(false);
    expect(ErrorShapeSchema.required).toEqual(['code', 'message']);
  });
});

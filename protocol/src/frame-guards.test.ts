import { describe, expect, it } from 'vitest';
import { parseGatewayFrame } from './frame-guards.js';

describe('parseGatewayFrame', () => {
  it.each([
    ['a response', '{"type":"res","id":"1","ok":true,"payload":{"a":1}}', 'res'],
    ['an error response', '{"type":"res","id":"1","ok":false,"error":{"code":"X","message":"m"}}', 'res'],
    ['an event with seq', '{"type":"event","event":"tick","payload":{"ts":1},"seq":3}', 'event'],
    ['a targeted event without seq', '{"type":"event","event":"connect.challenge","payload":{"nonce":"n","ts":1}}', 'event'],
  ])('accepts %s', (_name, text, type) => {
    expect(parseGatewayFrame(text)?.type).toBe(type);
  });

  it.each([
    ['non-JSON', 'nope'],
    ['an array', '[]'],
    ['a request (gateways send none)', '{"type":"req","id":"1","method":"m"}'],
    ['a response without id', '{"type":"res","ok":true}'],
    ['a response with ok as a string', '{"type":"res","id":"1","ok":"yes"}'],
    ['a malformed error', '{"type":"res","id":"1","ok":false,"error":{"code":1}}'],
    ['an event without a name', '{"type":"event","event":""}'],
    ['a negative seq', '{"type":"event","event":"tick","seq":-1}'],
  ])('drops %s', (_name, text) => {
    expect(parseGatewayFrame(text)).toBeUndefined();
  });
});

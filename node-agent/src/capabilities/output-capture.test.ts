import { describe, expect, it } from 'vitest';
import { dropIncompleteUtf8Tail, OutputCapture } from './output-capture.js';

describe('OutputCapture', () => {
  it('keeps everything under the cap, across chunks that split characters', () => {
    const capture = new OutputCapture(100);
    const bytes = Buffer.from('a€b');
    capture.push('stdout', bytes.subarray(0, 2));
    capture.push('stdout', bytes.subarray(2));
    capture.push('stderr', Buffer.from('err'));
    expect(capture.finish()).toEqual({ stdout: 'a€b', stderr: 'err', truncated: false });
  });

  it('shares one budget between the streams and keeps the earliest bytes', () => {
    const capture = new OutputCapture(10);
    capture.push('stdout', Buffer.from('123456'));
    capture.push('stderr', Buffer.from('abcdef'));
    capture.push('stdout', Buffer.from('789'));
    expect(capture.finish()).toEqual({ stdout: '123456', stderr: 'abcd', truncated: true });
  });

  it('is exact at the cap', () => {
    const capture = new OutputCapture(4);
    capture.push('stdout', Buffer.from('abcd'));
    expect(capture.finish()).toEqual({ stdout: 'abcd', stderr: '', truncated: false });
  });

  it('drops a character cut at the cap, even when the cut fell at a chunk boundary', () => {
    const capture = new OutputCapture(5);
    capture.push('stdout', Buffer.from('ab\xe2\x82', 'latin1')); // 'ab' + first two bytes of '€'
    capture.push('stdout', Buffer.from('\xac\xe2\x82\xac', 'latin1'));
    expect(capture.finish()).toEqual({ stdout: 'ab€', stderr: '', truncated: true });
  });

  it('keeps decoded output within the cap when invalid bytes expand to U+FFFD', () => {
    const capture = new OutputCapture(6);
    capture.push('stdout', Buffer.from([0xff, 0xff, 0xff, 0xff]));
    const out = capture.finish();
    expect(Buffer.byteLength(out.stdout)).toBeLessThanOrEqual(6);
    expect(out.truncated).toBe(true);
  });
});

describe('dropIncompleteUtf8Tail', () => {
  it.each([
    ['complete ascii', [0x61], 1],
    ['complete 3-byte', [0xe2, 0x82, 0xac], 3],
    ['lead byte only', [0x61, 0xe2], 1],
    ['two of three', [0x61, 0xe2, 0x82], 1],
    ['three of four', [0xf0, 0x9f, 0x98], 0],
    ['complete 4-byte', [0xf0, 0x9f, 0x98, 0x80], 4],
    ['empty', [], 0],
  ])('%s', (_name, bytes, keep) => {
    expect(dropIncompleteUtf8Tail(Buffer.from(bytes)).length).toBe(keep);
  });
});

import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSink } from './file-sink.js';
import { readTail, snapshotFiles } from './tail.js';

const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tether-log-'));
  dirs.push(dir);
  return join(dir, 'logs');
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('FileSink', () => {
  it('rotates at a small size and keeps every line exactly once, whole', async () => {
    const dir = temp();
    const sink = new FileSink({ dir, maxBytes: 1024, maxFiles: 100 });
    const sent = Array.from({ length: 400 }, (_, i) => JSON.stringify({ ts: 't', level: 'info', subsystem: 'gateway', msg: `line ${i} ${'x'.repeat(i % 37)}` }));
    for (const line of sent) sink.write(line);
    const files = sink.files();
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) expect(statSync(file).size).toBeLessThanOrEqual(1024);
    const read = files.reverse().flatMap((file) => readFileSync(file, 'utf8').split('\n').filter(Boolean));
    expect(read).toEqual(sent);
    const tail = await readTail(snapshotFiles(sink.files()), 1000, {});
    expect(tail.records.map((r) => r.msg)).toEqual(sent.map((l) => (JSON.parse(l) as { msg: string }).msg));
    sink.close();
  });

  it('drops the oldest file beyond maxFiles', () => {
    const dir = temp();
    const sink = new FileSink({ dir, maxBytes: 1024, maxFiles: 3 });
    for (let i = 0; i < 200; i++) sink.write(`{"n":${i},"pad":"${'y'.repeat(40)}"}`);
    expect(readdirSync(dir).sort()).toEqual(['gateway.log', 'gateway.log.1', 'gateway.log.2']);
    sink.close();
  });

  it('makes the directory 0700 and the file 0600', () => {
    const dir = temp();
    const sink = new FileSink({ dir });
    sink.write('{}');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'gateway.log')).mode & 0o777).toBe(0o600);
    sink.close();
  });

  it('a full disk stops file logging with one line on stderr, never a throw', () => {
    if (!existsSync('/dev/full')) return void console.log('skipped: this machine has no /dev/full');
    const dir = temp();
    mkdirSync(dir, { recursive: true });
    symlinkSync('/dev/full', join(dir, 'gateway.log'));
    const warned: string[] = [];
    let now = 0;
    const sink = new FileSink({ dir, warn: (line) => warned.push(line), now: () => now });
    expect(() => sink.write('{"a":1}')).not.toThrow();
    sink.write('{"a":2}');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('the disk is full');
    expect(warned[0]).toContain('file logging stopped');
    now = 61_000;
    sink.write('{"a":3}');
    expect(warned).toHaveLength(2);
    sink.close();
  });
});

describe('readTail', () => {
  it('skips torn and foreign lines, filters by level and subsystem', async () => {
    const dir = temp();
    const sink = new FileSink({ dir });
    sink.write('{"ts":"1","level":"info","subsystem":"gateway","msg":"a"}');
    sink.write('not json');
    sink.write('{"ts":"2","level":"warn","subsystem":"channels/telegram","msg":"b"}');
    sink.write('{"ts":"3","level":"debug","subsystem":"channels","msg":"c"}');
    sink.write('{"ts":"4","level":"error","subsystem":"agent"');
    const all = await readTail(snapshotFiles(sink.files()), 10, {});
    expect(all.records.map((r) => r.msg)).toEqual(['a', 'b', 'c']);
    expect((await readTail(snapshotFiles(sink.files()), 10, { level: 'warn' })).records.map((r) => r.msg)).toEqual(['b']);
    expect((await readTail(snapshotFiles(sink.files()), 10, { subsystem: 'channels' })).records.map((r) => r.msg)).toEqual(['b', 'c']);
    expect((await readTail(snapshotFiles(sink.files()), 1, {})).records.map((r) => r.msg)).toEqual(['c']);
    sink.close();
  });
});

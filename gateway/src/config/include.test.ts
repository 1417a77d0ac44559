import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigDocument, mergeDeep } from './include.js';

function dir(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tether-include-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

describe('$include (hostile first)', () => {
  it('refuses a cycle, naming the chain', () => {
    const root = dir({ 'tether.json': '{ $include: "a.json5" }', 'a.json5': '{ $include: "b.json5" }', 'b.json5': '{ $include: "a.json5" }' });
    expect(() => loadConfigDocument(join(root, 'tether.json'))).toThrow(/includes itself .*a\.json5 → .*b\.json5 → .*a\.json5/);
    const self = dir({ 'tether.json': '{ $include: "tether.json" }' });
    expect(() => loadConfigDocument(join(self, 'tether.json'))).toThrow(/includes itself/);
  });

  it('a fan-out of includes cannot freeze the loader: each file is expanded once, and more than 64 includes are refused', () => {
    // Each level lists the next file in ten nested objects: 10^8 reads without the cache and the cap.
    const files: Record<string, string> = {};
    const fanOut = (next: string) => JSON.stringify(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, { $include: next }])));
    files['tether.json'] = fanOut('f0.json');
    for (let level = 0; level < 7; level++) files[`f${level}.json`] = fanOut(`f${level + 1}.json`);
    files['f7.json'] = '{ leaf: 1 }';
    expect(() => loadConfigDocument(join(dir(files), 'tether.json'))).toThrow(/more than 64 includes/);
    // A few mentions of one file are fine, and the file is read once.
    const small = dir({ 'tether.json': JSON.stringify({ a: { $include: 'x.json' }, b: { $include: 'x.json' } }), 'x.json': '{ y: 1 }' });
    const loaded = loadConfigDocument(join(small, 'tether.json'));
    expect(loaded.value).toEqual({ a: { y: 1 }, b: { y: 1 } });
    expect(loaded.files.filter((file) => file.endsWith('x.json'))).toHaveLength(1);
  });

  it('refuses the same file twice in one list, and a document nested deeper than 64 levels', () => {
    const twice = dir({ 'tether.json': '{ $include: ["a.json5", "a.json5"] }', 'a.json5': '{}' });
    expect(() => loadConfigDocument(join(twice, 'tether.json'))).toThrow(/names the same file twice/);
    const deep = dir({ 'tether.json': `{ "a": ${'['.repeat(200_000)}${']'.repeat(200_000)} }` });
    expect(() => loadConfigDocument(join(deep, 'tether.json'))).toThrow(/nests deeper than 64 levels/);
  });

  it('refuses a chain deeper than 8, accepts 8', () => {
    const files: Record<string, string> = { 'tether.json': '{ $include: "f1.json5" }' };
    for (let i = 1; i <= 9; i++) files[`f${i}.json5`] = i < 9 ? `{ $include: "f${i + 1}.json5" }` : '{ nodes: { invokeTimeoutMs: 999 } }';
    expect(() => loadConfigDocument(join(dir(files), 'tether.json'))).toThrow(/deeper than 8/);
    files['f8.json5'] = '{ nodes: { invokeTimeoutMs: 888 } }';
    expect(loadConfigDocument(join(dir(files), 'tether.json')).value).toEqual({ nodes: { invokeTimeoutMs: 888 } });
  });

  it('refuses a missing file, traversal out of the state dir and a symlink out of it', () => {
    const root = dir({ 'tether.json': '{ $include: "missing.json5" }' });
    expect(() => loadConfigDocument(join(root, 'tether.json'))).toThrow(/"missing\.json5" does not exist/);
    const outside = dir({ 'secret.json5': '{ gateway: { port: 1 } }' });
    const traversal = dir({ 'tether.json': JSON.stringify({ $include: `../${outside.split('/').pop()}/secret.json5` }) });
    expect(() => loadConfigDocument(join(traversal, 'tether.json'))).toThrow(/outside the state dir/);
    const absolute = dir({ 'tether.json': JSON.stringify({ $include: join(outside, 'secret.json5') }) });
    expect(() => loadConfigDocument(join(absolute, 'tether.json'))).toThrow(/outside the state dir/);
    const linked = dir({ 'tether.json': '{ $include: "link.json5" }' });
    symlinkSync(join(outside, 'secret.json5'), join(linked, 'link.json5'));
    expect(() => loadConfigDocument(join(linked, 'tether.json'))).toThrow(/symlink may not lead out/);
    const linkedDir = dir({ 'tether.json': '{ $include: "sub/secret.json5" }' });
    symlinkSync(outside, join(linkedDir, 'sub'));
    expect(() => loadConfigDocument(join(linkedDir, 'tether.json'))).toThrow(/outside the state dir/);
  });

  it('refuses a FIFO or a directory instead of hanging on it, and a non-object file', () => {
    const root = dir({ 'tether.json': '{ $include: "pipe" }', 'list.json5': '[1]' });
    execFileSync('mkfifo', [join(root, 'pipe')]);
    expect(() => loadConfigDocument(join(root, 'tether.json'))).toThrow(/not a regular file/);
    mkdirSync(join(root, 'd'));
    expect(() => loadConfigDocument(join(root, 'tether.json'), '{ $include: "d" }')).toThrow(/not a regular file/);
    expect(() => loadConfigDocument(join(root, 'tether.json'), '{ $include: "list.json5" }')).toThrow(/must hold an object/);
    expect(() => loadConfigDocument(join(root, 'tether.json'), '{ $include: 5 }')).toThrow(/must be a file name or a list/);
  });

  it('refuses __proto__ keys anywhere, so a merge can never pollute a prototype', () => {
    const root = dir({ 'tether.json': '{ $include: "evil.json5" }', 'evil.json5': '{ "__proto__": { "polluted": true } }' });
    expect(() => loadConfigDocument(join(root, 'tether.json'))).toThrow(/__proto__" is not allowed/);
    expect(() => loadConfigDocument(join(root, 'tether.json'), '{ nodes: { "__proto__": { polluted: 1 } } }')).toThrow(/nodes\.__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('merges deep in order, relative to the including file, the including object winning', () => {
    const root = dir({
      'tether.json': '{ $include: ["conf/base.json5", "conf/agent.json5"], nodes: { invokeTimeoutMs: 5000 } }',
      'conf/base.json5': '{ nodes: { invokeTimeoutMs: 1000, denyCommands: ["camera.*"] }, $include: "more.json5" }',
      'conf/more.json5': '{ pairing: { autoApproveLoopback: false } }',
      'conf/agent.json5': '{ nodes: { denyCommands: ["system.run"] } }',
    });
    const loaded = loadConfigDocument(join(root, 'tether.json'));
    expect(loaded.value).toEqual({ nodes: { invokeTimeoutMs: 5000, denyCommands: ['system.run'] }, pairing: { autoApproveLoopback: false } });
    expect(loaded.files).toHaveLength(4);
    expect(mergeDeep({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
  });
});

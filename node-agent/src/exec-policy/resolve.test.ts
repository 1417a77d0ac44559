import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { searchPath } from './resolve.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tether-path-'));
  dirs.push(d);
  return d;
}

describe('searchPath', () => {
  it('looks on past a PATH entry it cannot stat (a symlink loop; EACCES for a non-root user is the same case)', async () => {
    const broken = dir();
    symlinkSync(join(broken, 'probe'), join(broken, 'probe')); // stat fails with ELOOP
    const good = dir();
    writeFileSync(join(good, 'probe'), '#!/bin/sh\n');
    chmodSync(join(good, 'probe'), 0o755);
    expect(await searchPath('probe', [broken, good].join(delimiter))).toBe(join(good, 'probe'));
  });
});

import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSetupCode, setupCodeUri } from '@tether/protocol';
import { MAX_PAIR_FILE_BYTES, readSetupCodeInput, SetupCodeInputError } from './setup-code-input.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function file(content: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-pair-'));
  dirs.push(dir);
  const path = join(dir, 'code');
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}
const code = () => setupCodeUri(encodeSetupCode({ url: 'ws://127.0.0.1:18789', bootstrapToken: 'A'.repeat(43), expiresAtMs: Date.now() + 60_000 }));
const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'none';
};

describe('readSetupCodeInput', () => {
  it('decodes --pair, and nothing when neither is given', () => {
    expect(readSetupCodeInput({ pair: code() })).toMatchObject({ url: 'ws://127.0.0.1:18789', bootstrapToken: 'A'.repeat(43) });
    expect(readSetupCodeInput({})).toBeUndefined();
    expect(codeOf(() => readSetupCodeInput({ pair: code(), pairFile: '/x' }))).toBe('PAIR_BOTH_GIVEN');
  });

  it('reads a private --pair-file once and deletes it', () => {
    const path = file(`${code()}\n`);
    expect(readSetupCodeInput({ pairFile: path })?.bootstrapToken).toBe('A'.repeat(43));
    expect(existsSync(path)).toBe(false);
    expect(codeOf(() => readSetupCodeInput({ pairFile: path }))).toBe('PAIR_FILE_UNREADABLE');
  });

  it('refuses a group- or world-readable file, and keeps it for a chmod', () => {
    for (const mode of [0o640, 0o604, 0o660]) {
      const path = file(code(), mode);
      expect(codeOf(() => readSetupCodeInput({ pairFile: path }))).toBe('PAIR_FILE_INSECURE');
      expect(existsSync(path)).toBe(true);
    }
  });

  it('refuses a file over 64 KiB, a directory and a symlink', () => {
    expect(codeOf(() => readSetupCodeInput({ pairFile: file('A'.repeat(MAX_PAIR_FILE_BYTES + 1)) }))).toBe('PAIR_FILE_TOO_LARGE');
    const dir = mkdtempSync(join(tmpdir(), 'tether-pair-dir-'));
    dirs.push(dir);
    chmodSync(dir, 0o700);
    expect(codeOf(() => readSetupCodeInput({ pairFile: dir }))).toBe('PAIR_FILE_NOT_REGULAR');
    const target = file(code());
    const link = join(dir, 'link');
    symlinkSync(target, link);
    expect(codeOf(() => readSetupCodeInput({ pairFile: link }))).toBe('PAIR_FILE_UNREADABLE');
    expect(existsSync(target)).toBe(true);
  });

  it('deletes the file even when the code in it is bad, and says why', () => {
    const path = file('not a code!');
    expect(codeOf(() => readSetupCodeInput({ pairFile: path }))).toBe('SETUP_CODE_BAD_CHARSET');
    expect(existsSync(path)).toBe(false);
    expect(new SetupCodeInputError('PAIR_FILE_INSECURE', 'x')).toBeInstanceOf(Error);
  });
});

describe('readSetupCodeInput against planted files', () => {
  it('a FIFO at the path is refused at once, not waited on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-pair-fifo-'));
    dirs.push(dir);
    const path = join(dir, 'code');
    execFileSync('mkfifo', ['-m', '600', path]);
    expect(codeOf(() => readSetupCodeInput({ pairFile: path }))).toBe('PAIR_FILE_NOT_REGULAR');
  });

  it.skipIf(typeof process.geteuid !== 'function' || process.geteuid() !== 0)("refuses another user's file, even one only they can read (as root here)", () => {
    const path = file(code());
    chownSync(path, 65534, 65534);
    expect(codeOf(() => readSetupCodeInput({ pairFile: path }))).toBe('PAIR_FILE_NOT_OWNED');
  });
});

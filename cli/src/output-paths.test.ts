/**
 * Keeps "every remote string is escaped" true as the CLI grows: outside output.ts (which escapes by
 * itself), a direct write to stdout/stderr may only print a constant, or values passed through
 * protocol's safeText/safeLabel/formatArgv. A new `process.stdout.write(\`${name}\`)` fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('.', import.meta.url));

/** Files allowed to write freely, and why. */
const EXEMPT: Record<string, string> = {
  'output.ts': 'the escaping printers themselves',
  'run-gateway.ts': "its machine-readable `listening` line is JSON of the local gateway's own url, port and pid",
  // Owned by another engineer; they print only this machine's own node state (policy file, identity, doctor).
  'commands/node.ts': 'local node state only',
  'commands/up.ts': 'local gateway and node only',
  'commands/node-exec-policy.ts': "this machine's own exec policy, written by its owner",
};

const SAFE_CALL = /^\s*(safeText|safeLabel|formatArgv)\(/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The argument text of each `process.stdout.write(` / `process.stderr.write(` / console call in `text`. */
function writeCalls(text: string): string[] {
  const calls: string[] = [];
  const start = /process\.(stdout|stderr)\.write\(|console\.(log|error|warn|info)\(/g;
  for (let match = start.exec(text); match; match = start.exec(text)) {
    let depth = 1;
    let i = match.index + match[0].length;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')') depth--;
    }
    calls.push(text.slice(match.index, i));
  }
  return calls;
}

/** Interpolated expressions of a call that are not wrapped in an escaping function. */
function unsafeInterpolations(call: string): string[] {
  const unsafe: string[] = [];
  for (let at = call.indexOf('${'); at >= 0; at = call.indexOf('${', at + 2)) {
    const expression = call.slice(at + 2);
    if (!SAFE_CALL.test(expression)) unsafe.push(expression.slice(0, 40));
  }
  const argument = call.slice(call.indexOf('(') + 1, -1).trim();
  const literal = /^(['"`])[^]*\1$/.test(argument);
  if (!literal && unsafe.length === 0) unsafe.push(argument.slice(0, 40));
  return unsafe;
}

describe('CLI output paths', () => {
  it('write remote strings only through the escaping printers', () => {
    const offenders: string[] = [];
    for (const file of sources(SRC)) {
      const name = relative(SRC, file);
      if (name in EXEMPT) continue;
      for (const call of writeCalls(readFileSync(file, 'utf8'))) {
        for (const expression of unsafeInterpolations(call)) offenders.push(`${name}: ${expression}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the check itself catches a raw interpolation and accepts escaped ones', () => {
    expect(unsafeInterpolations('process.stdout.write(`Approved ${name}\\n`)')).toEqual(['name}\\n`)']);
    expect(unsafeInterpolations('process.stdout.write(payload.stdout)')).toEqual(['payload.stdout']);
    expect(unsafeInterpolations('process.stderr.write(`error: ${safeText(message)}\\n`)')).toEqual([]);
    expect(unsafeInterpolations("process.stderr.write('\\n[output truncated]\\n')")).toEqual([]);
  });

  it('every exempt file still exists (remove stale exemptions)', () => {
    const names = sources(SRC).map((file) => relative(SRC, file));
    for (const name of Object.keys(EXEMPT)) expect(names).toContain(name);
  });
});

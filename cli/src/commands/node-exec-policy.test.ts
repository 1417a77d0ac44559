import { describe, expect, it } from 'vitest';
import { CliError } from '../output.js';
import { allowedArgsFromFlags } from './node-exec-policy.js';

function usage(run: () => unknown): CliError {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a usage error');
}

describe('tether node allow: flags → argument restriction', () => {
  it.each([
    [{}, [], undefined],
    [{ exact: true }, [], { exact: [[]] }],
    [{ exact: true }, ['-a'], { exact: [['-a']] }],
    [{ exact: true }, ['-f', ''], { exact: [['-f', '']] }],
    [{ prefix: true }, ['status'], { prefix: ['status'] }],
  ])('%j %j → %j', (flags, args, expected) => {
    expect(allowedArgsFromFlags(flags, args, 'uname')).toEqual(expected);
  });

  it.each([
    [{ exact: true, prefix: true }, ['-a'], /give --exact or --prefix, not both/],
    [{ prefix: true }, [], /--prefix needs the leading arguments after --/],
    [{}, ['-a'], /only with --exact or --prefix, e.g. tether node allow uname --exact -- -a/],
  ])('%j %j is a usage error', (flags, args, why) => {
    const error = usage(() => allowedArgsFromFlags(flags, args, 'uname'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(why);
  });
});

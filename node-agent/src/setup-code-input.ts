/**
 * The node side of a setup code: `--pair <code>` or `--pair-file F`. A file keeps the code out of shell
 * history and `ps`: it is read once and deleted, and refused when others could read it (group or world
 * permission bits), when it is not a regular file, or when it is larger than 64 KiB.
 *
 * Returns the decoded code (protocol/src/setup-code.ts): the URL(s) to connect to, the bootstrap token
 * to send as `connect.params.auth.bootstrapToken`, and the TLS fingerprint to pin. Not wired into the
 * connection here: the caller does that.
 */
import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { decodeSetupCode, SetupCodeError, type DecodedSetupCode } from '@tether/protocol';

export const MAX_PAIR_FILE_BYTES = 64 * 1024;

export interface SetupCodeInputOptions {
  /** `--pair <code>`. */
  pair?: string;
  /** `--pair-file <path>`. */
  pairFile?: string;
  now?: number;
}

export type SetupCodeInputErrorCode = 'PAIR_BOTH_GIVEN' | 'PAIR_FILE_UNREADABLE' | 'PAIR_FILE_INSECURE' | 'PAIR_FILE_TOO_LARGE' | 'PAIR_FILE_NOT_REGULAR' | 'PAIR_FILE_NOT_OWNED';

/** A problem with how the code was given; a problem with the code itself is a SetupCodeError. */
export class SetupCodeInputError extends Error {
  readonly code: SetupCodeInputErrorCode;
  constructor(code: SetupCodeInputErrorCode, message: string) {
    super(message);
    this.name = 'SetupCodeInputError';
    this.code = code;
  }
}

/**
 * The setup code the node was started with, decoded and checked (expiry, URL, fingerprint); undefined
 * when neither option was given. Throws SetupCodeInputError or SetupCodeError with a message to show.
 * A pair file is deleted once read, even when its content turns out to be invalid (it was a secret).
 */
export function readSetupCodeInput(options: SetupCodeInputOptions): DecodedSetupCode | undefined {
  if (options.pair !== undefined && options.pairFile !== undefined) {
    throw new SetupCodeInputError('PAIR_BOTH_GIVEN', 'give the setup code once: --pair <code> or --pair-file <file>, not both');
  }
  const decodeOptions = options.now === undefined ? {} : { now: options.now };
  if (options.pair !== undefined) return decodeSetupCode(options.pair, decodeOptions);
  if (options.pairFile === undefined) return undefined;
  return decodeSetupCode(readPairFileOnce(options.pairFile), decodeOptions);
}

/** Reads the file through one descriptor (no swap between the check and the read), then deletes it. */
export function readPairFileOnce(path: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted at the path must not hang the node before fstat says it is no file.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist (a pair file is deleted once read: was it used already?)' : code === 'ELOOP' ? 'it is a symbolic link' : (error as Error).message;
    throw new SetupCodeInputError('PAIR_FILE_UNREADABLE', `cannot read the pair file ${path}: ${why}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SetupCodeInputError('PAIR_FILE_NOT_REGULAR', `the pair file ${path} is not a regular file`);
    // Another user's file (in a shared /tmp) could name their gateway and their fingerprint.
    if (typeof process.geteuid === 'function' && stat.uid !== process.geteuid()) {
      throw new SetupCodeInputError('PAIR_FILE_NOT_OWNED', `the pair file ${path} belongs to another user (uid ${stat.uid}); write the code into a file of your own`);
    }
    if ((stat.mode & 0o077) !== 0) {
      throw new SetupCodeInputError(
        'PAIR_FILE_INSECURE',
        `the pair file ${path} can be read by other users (mode ${(stat.mode & 0o777).toString(8).padStart(3, '0')}); it holds a secret — run chmod 600 ${path} (or ask for a new code if others may have read it) and retry`,
      );
    }
    if (stat.size > MAX_PAIR_FILE_BYTES) {
      throw new SetupCodeInputError('PAIR_FILE_TOO_LARGE', `the pair file ${path} is ${stat.size} bytes; a setup code file is at most ${MAX_PAIR_FILE_BYTES} bytes — check that it holds only the code`);
    }
    const buffer = Buffer.alloc(MAX_PAIR_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      // It grew after the check: refuse rather than read without bound.
      if (length > MAX_PAIR_FILE_BYTES) throw new SetupCodeInputError('PAIR_FILE_TOO_LARGE', `the pair file ${path} is larger than ${MAX_PAIR_FILE_BYTES} bytes`);
    }
    const text = buffer.subarray(0, length).toString('utf8');
    buffer.fill(0);
    deleteQuietly(path);
    return text;
  } finally {
    closeSync(fd);
  }
}

function deleteQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SetupCodeInputError('PAIR_FILE_UNREADABLE', `read the pair file ${path} but could not delete it (${(error as Error).message}); delete it by hand, it holds a secret`);
    }
  }
}

export { SetupCodeError };

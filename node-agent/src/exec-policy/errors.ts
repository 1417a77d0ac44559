/**
 * Errors of the owner's side of the exec policy (the file and the `tether node allow|disallow|policy`
 * edits). Runs refused by the policy are CommandError EXEC_DENIED instead: they go back to a caller.
 */
export const ExecPolicyErrorCode = {
  /** exec-policy.json cannot be read or is malformed; the message names the file, the key and the fix. */
  POLICY_FILE_INVALID: 'POLICY_FILE_INVALID',
  /** A write was refused because the policy given would not be valid. */
  POLICY_INVALID: 'POLICY_INVALID',
  /** The binary to allow or disallow could not be resolved to an executable file. */
  BINARY_NOT_FOUND: 'BINARY_NOT_FOUND',
  /** An argument restriction was asked for a name that an entry already allows with every argument. */
  ALREADY_UNRESTRICTED: 'ALREADY_UNRESTRICTED',
  /** Nothing on the allowlist matched what was to be removed. */
  NOT_ON_ALLOWLIST: 'NOT_ON_ALLOWLIST',
  /** A security level, ask mode or argument restriction given by the owner is not valid. */
  INVALID_SETTING: 'INVALID_SETTING',
} as const;
export type ExecPolicyErrorCode = (typeof ExecPolicyErrorCode)[keyof typeof ExecPolicyErrorCode];

export class ExecPolicyError extends Error {
  override readonly name = 'ExecPolicyError';

  constructor(
    readonly code: ExecPolicyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

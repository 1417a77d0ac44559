/** Errors of the pairing store: a stable code to branch on and a message that says what to do next. */

export type PairingStoreErrorCode =
  | 'UNKNOWN_REQUEST_ID'
  | 'UNKNOWN_DEVICE'
  | 'UNKNOWN_ROLE'
  | 'AMBIGUOUS_DEVICE'
  /** An approval or rotation names a command or scope the request or device does not have. */
  | 'INVALID_GRANT'
  /** No setup code (bootstrap token) with that id. */
  | 'UNKNOWN_SETUP_CODE'
  /** Too many setup codes are live at once; revoke some or let them expire. */
  | 'TOO_MANY_SETUP_CODES'
  /** An owner login named a key that belongs to a device of another kind (owner-login.ts). */
  | 'KEY_IN_USE'
  | 'STORE_CORRUPT'
  /** A change could not be written (disk full, read-only, directory gone); it was not applied. */
  | 'STORE_UNWRITABLE'
  /** `PairingStore.open` was given an option it cannot use. */
  | 'INVALID_OPTIONS';

export class PairingStoreError extends Error {
  readonly code: PairingStoreErrorCode;
  constructor(code: PairingStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PairingStoreError';
    this.code = code;
  }
}

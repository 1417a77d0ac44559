/** Lets people type a short device id (`tether devices remove 66cc`), as git does with commits. */
import { PairingStoreError } from './errors.js';

const SHOWN_CANDIDATES = 10;

/** Exact id, or the one id starting with `prefix` (case-insensitive hex). */
export function resolveDeviceId(ids: readonly string[], prefix: string): string {
  const wanted = prefix.trim().toLowerCase();
  // An empty prefix matches everything: with a single device it would silently pick it.
  if (wanted === '') throw new PairingStoreError('UNKNOWN_DEVICE', 'no device id given — run `tether devices list` to see the paired devices');
  const exact = ids.find((id) => id.toLowerCase() === wanted);
  if (exact !== undefined) return exact;
  const matches = ids.filter((id) => id.toLowerCase().startsWith(wanted));
  const [only] = matches;
  if (matches.length === 1 && only !== undefined) return only;
  if (matches.length === 0) {
    throw new PairingStoreError('UNKNOWN_DEVICE', `no paired device id starts with ${prefix} — run \`tether devices list\` to see the paired devices`);
  }
  const shown = matches.slice(0, SHOWN_CANDIDATES).join(', ');
  const more = matches.length > SHOWN_CANDIDATES ? ` and ${matches.length - SHOWN_CANDIDATES} more` : '';
  throw new PairingStoreError('AMBIGUOUS_DEVICE', `${prefix} matches ${matches.length} devices (${shown}${more}); type more characters of the id`);
}

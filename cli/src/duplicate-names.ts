/**
 * Display names are chosen by the device itself, so two devices can claim the same one, and an
 * unpaired stranger can claim a paired device's name. Listings flag such names so the owner picks by
 * id. Names are compared as people see them: case, Unicode compatibility forms, whitespace and
 * invisible format characters (zero-width, bidi) do not make two names different.
 */

/** The form of a name used to decide whether two names look the same. */
export function nameKey(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/[\p{Cc}\p{Cf}\p{Z}\s]/gu, '')
    .toLowerCase();
}

export interface Named {
  /** The device id; entries with the same id are one device (a paired device re-asking is not a duplicate). */
  id: string;
  name: string | undefined;
}

/** Groups of entries (at least two distinct ids each) whose names look the same, keyed by `nameKey`. */
export function findDuplicateNames<T extends Named>(entries: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const entry of entries) {
    if (entry.name === undefined) continue;
    const key = nameKey(entry.name);
    if (key === '') continue;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  for (const [key, group] of groups) if (new Set(group.map((entry) => entry.id)).size < 2) groups.delete(key);
  return groups;
}

/** True when this entry's name is in one of the duplicate groups. */
export function isDuplicateName(duplicates: ReadonlyMap<string, unknown>, name: string | undefined): boolean {
  return name !== undefined && duplicates.has(nameKey(name));
}

export const DUPLICATE_MARK = '(duplicate name)';

/**
 * The one way to look a key up in records kept as plain objects (the pairing state, the session
 * index). They are keyed by ids that callers send (device ids, request ids, session keys), and
 * `state.paired['__proto__']` is Object.prototype, not "no such device": a lookup must only ever see
 * the record's own entries.
 */
export function own<T>(records: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return records !== undefined && Object.hasOwn(records, key) ? records[key] : undefined;
}

/**
 * The one way to look a key up in the state's records. They are plain objects keyed by ids that
 * callers send (device ids, request ids in method params), and `state.paired['__proto__']` is
 * Object.prototype, not "no such device": a lookup must only ever see the record's own entries.
 */
export function own<T>(records: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return records !== undefined && Object.hasOwn(records, key) ? records[key] : undefined;
}

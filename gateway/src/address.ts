/**
 * The remote address as the gateway shows and records it: IPv4-mapped IPv6 (`::ffff:10.0.0.7`) as the
 * plain IPv4 address. Per-address limits count by `addressBucket` from @tether/pairing (one bucket per
 * IPv4 address or IPv6 /64), the same buckets the pairing store's limits use.
 */
export function normalizeRemoteIp(raw: string | undefined): string {
  const value = raw ?? '';
  return value.toLowerCase().startsWith('::ffff:') && value.includes('.') ? value.slice(7) : value;
}

/**
 * Failures per remote address in a sliding minute, for credentials typed by people (the Control UI's
 * token login): after `limit` failures an address waits until the oldest one leaves the window. The
 * table is bounded: when full, the address with the oldest last failure is forgotten.
 */
const MAX_ADDRESSES = 4096;

export class AddressFailures {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  allow(address: string): boolean {
    return this.recent(address).length < this.limit;
  }

  fail(address: string): void {
    const times = this.recent(address);
    times.push(this.now());
    this.failures.delete(address);
    this.failures.set(address, times);
    if (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value as string);
  }

  private recent(address: string): number[] {
    const since = this.now() - this.windowMs;
    const times = (this.failures.get(address) ?? []).filter((at) => at > since);
    if (times.length === 0) this.failures.delete(address);
    return times;
  }
}

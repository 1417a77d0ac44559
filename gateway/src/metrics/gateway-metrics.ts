/**
 * What `status` reports beyond the live counts: the invoke rate and recent errors. The server creates
 * one GatewayMetrics, wraps its logger and node registry with it, and attaches it to the gateway
 * context; `status` reads it with metricsOf(). A gateway without one attached (an embedder that builds
 * its own context) simply leaves the two fields out of `status`.
 */
import type { GatewayContext } from '../context.js';
import type { Logger } from '../log.js';
import { InvokeCounter, type InvokeCounts } from './invoke-counter.js';
import { RecentErrors, type RecentError } from './recent-errors.js';

export class GatewayMetrics {
  readonly invokes: InvokeCounter;
  readonly errors: RecentErrors;

  constructor(now: () => number = Date.now) {
    this.invokes = new InvokeCounter(now);
    this.errors = new RecentErrors(now);
  }

  /** A logger that writes as `log` does and keeps its warnings and errors. */
  watchLogger(log: Logger): Logger {
    return {
      debug: (message) => log.debug(message),
      info: (message) => log.info(message),
      warn: (message) => {
        this.errors.record('warn', message);
        log.warn(message);
      },
      error: (message) => {
        this.errors.record('error', message);
        log.error(message);
      },
    };
  }

  /** Counts every finished invoke of `registry` (ok or failed), leaving its result untouched. */
  countInvokes<R extends { invoke(...args: never[]): Promise<unknown> }>(registry: R): R {
    const invoke = registry.invoke.bind(registry) as (...args: unknown[]) => Promise<unknown>;
    (registry as unknown as { invoke: (...args: unknown[]) => Promise<unknown> }).invoke = (...args: unknown[]) => {
      const result = invoke(...args);
      result.then(() => this.invokes.record(true), () => this.invokes.record(false));
      return result;
    };
    return registry;
  }

  report(): { invokes: InvokeCounts; recentErrors: RecentError[] } {
    return { invokes: this.invokes.read(), recentErrors: this.errors.list() };
  }
}

const attached = new WeakMap<GatewayContext, GatewayMetrics>();

export function attachMetrics(gateway: GatewayContext, metrics: GatewayMetrics): void {
  attached.set(gateway, metrics);
}

export function metricsOf(gateway: GatewayContext): GatewayMetrics | undefined {
  return attached.get(gateway);
}

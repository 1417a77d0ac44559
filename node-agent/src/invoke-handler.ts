/**
 * Runs `node.invoke.request` events: decode, run the command under a deadline, answer with
 * `node.invoke.result`, and abort on `node.invoke.cancel`.
 */
import { createValidator, isRecord, NodeInvokeCancelEventSchema, NodeInvokeRequestEventSchema, type NodeInvokeRequestEvent } from '@tether/protocol';
import type { CapabilityRegistry } from './capabilities/index.js';
import { CommandError } from './capabilities/index.js';

const invokeRequest = createValidator(NodeInvokeRequestEventSchema);
const invokeCancel = createValidator(NodeInvokeCancelEventSchema);

export interface InvokeTransport {
  request(method: string, params: unknown): Promise<unknown>;
}

export interface InvokeHandlerOptions {
  nodeId: () => string;
  capabilities: CapabilityRegistry;
  transport: InvokeTransport;
  log: (message: string) => void;
  /** Last step before a result is sent, e.g. moving large media out of band. */
  finishResult?: (payload: unknown, signal: AbortSignal, invokeId: string) => Promise<unknown>;
}

export class InvokeHandler {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly options: InvokeHandlerOptions) {}

  get inFlight(): number {
    return this.running.size;
  }

  onEvent(event: string, payload: unknown): void {
    if (event === 'node.invoke.request') {
      if (!invokeRequest.check(payload)) {
        this.options.log(`ignored a malformed invoke request: ${invokeRequest.lastError()}`);
        return;
      }
      if (payload.nodeId !== this.options.nodeId()) return;
      void this.run(payload);
    } else if (event === 'node.invoke.cancel' && invokeCancel.check(payload)) {
      this.running.get(payload.invokeId)?.abort(new Error('cancelled by the gateway'));
    }
  }

  /** Aborts everything (the connection is gone, so the results could not be delivered anyway). */
  abortAll(): void {
    for (const controller of this.running.values()) controller.abort(new Error('connection to the gateway lost'));
  }

  private async run(request: NodeInvokeRequestEvent): Promise<void> {
    const controller = new AbortController();
    this.running.set(request.id, controller);
    const timer = request.timeoutMs ? setTimeout(() => controller.abort(new Error('deadline passed')), request.timeoutMs) : undefined;
    let result: Record<string, unknown>;
    try {
      const params = decodeParams(request);
      let payload = await this.options.capabilities.run(request.command, params, controller.signal);
      if (this.options.finishResult) payload = await this.options.finishResult(payload, controller.signal, request.id);
      result = { id: request.id, nodeId: request.nodeId, ok: true, payloadJSON: JSON.stringify(payload ?? null) };
    } catch (error) {
      const code = error instanceof CommandError ? error.code : controller.signal.aborted ? 'TIMEOUT' : 'UNAVAILABLE';
      const message = error instanceof Error ? error.message : String(error);
      result = { id: request.id, nodeId: request.nodeId, ok: false, error: { code, message } };
    } finally {
      if (timer) clearTimeout(timer);
      this.running.delete(request.id);
    }
    try {
      await this.options.transport.request('node.invoke.result', result);
    } catch (error) {
      // The gateway has already failed this invoke for its caller (disconnect or deadline); nothing to retry.
      this.options.log(`could not deliver the result of ${request.command}: ${(error as Error).message}`);
    }
  }
}

function decodeParams(request: NodeInvokeRequestEvent): unknown {
  if (typeof request.paramsJSON === 'string' && request.paramsJSON !== '') {
    try {
      return JSON.parse(request.paramsJSON);
    } catch {
      throw new CommandError('INVALID_REQUEST', `paramsJSON of ${request.command} is not valid JSON`);
    }
  }
  return isRecord(request.params) ? request.params : {};
}

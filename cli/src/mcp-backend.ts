/**
 * A ToolBackend over the gateway's WebSocket methods, for `tether mcp`: `tools.catalog` lists the
 * tools, `tools.invoke` runs one (through the gateway's node.invoke path and policy, as the embedded
 * agent's calls do), and the gateway's `presence` and `tools.changed` events (and a reconnect) tell
 * listeners the list may have changed. Whatever the gateway answers is checked before an MCP client
 * sees it: malformed tools are dropped, a malformed outcome becomes an error outcome.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, isRecord } from '@tether/protocol';
import type { ModelTool, ToolBackend, ToolCallOutcome, ToolImage } from '@tether/gateway/mcp';

/** What the backend needs of a GatewayClient. */
export interface GatewayRequester {
  request<T = unknown>(method: string, params?: unknown, options?: { timeoutMs?: number }): Promise<T>;
}

export interface GatewayToolBackend extends ToolBackend {
  /** Feed it the gateway's events (GatewayClient's onEvent); `presence` and `tools.changed` matter. */
  handleEvent(event: string, payload: unknown): void;
  /** The tool list may have changed for another reason (the connection came back). */
  toolsMayHaveChanged(): void;
}

export interface GatewayToolBackendOptions {
  /** Deadline for one tools.invoke, covering an owner's approval. Default 5 minutes. */
  invokeTimeoutMs?: number;
  /** Deadline for tools.catalog. Default 10 s. */
  catalogTimeoutMs?: number;
  log?: { warn(message: string): void };
}

export const TOOL_EVENTS: ReadonlySet<string> = new Set(['presence', 'tools.changed']);
export const DEFAULT_INVOKE_TIMEOUT_MS = 5 * 60_000;

export function createGatewayToolBackend(gateway: GatewayRequester, options: GatewayToolBackendOptions = {}): GatewayToolBackend {
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch (error) {
        options.log?.warn(`a tool-list listener failed: ${(error as Error)?.message ?? String(error)}`);
      }
    }
  };

  return {
    async listTools() {
      const result = await gateway.request<unknown>('tools.catalog', {}, { timeoutMs: options.catalogTimeoutMs ?? 10_000 });
      const tools = parseCatalog(result);
      if (tools.dropped > 0) options.log?.warn(`the gateway's tools.catalog had ${tools.dropped} malformed tool(s); they were left out`);
      return tools.tools;
    },

    async callTool(name, args, callOptions = {}) {
      const started = Date.now();
      if (args !== undefined && !isRecord(args)) return failure(`${name} takes an object of arguments`, started);
      const signal = callOptions.signal;
      if (signal?.aborted) return failure(`${name} was cancelled`, started);
      const invoke = gateway.request<unknown>('tools.invoke', { name, args: args ?? {}, idempotencyKey: randomUUID() }, { timeoutMs: options.invokeTimeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS });
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<'aborted'>((resolve) => {
        onAbort = () => resolve('aborted');
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        const result = await Promise.race([invoke, aborted]);
        // The gateway still finishes the call (no cancel method); its answer is dropped.
        if (result === 'aborted') {
          invoke.catch(() => undefined);
          return failure(`${name} was cancelled by the MCP client (the node may still finish it)`, started);
        }
        return parseOutcome(result) ?? failure(`the gateway answered ${name} with something that is not a tool result`, started);
      } catch (error) {
        if (error instanceof GatewayError) return failure(`the gateway refused ${name}: ${error.message} [${error.detailCode}]`, started);
        return failure(`${name} failed: ${(error as Error)?.message ?? String(error)}`, started);
      } finally {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    },

    onToolsChanged(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    handleEvent(event) {
      if (TOOL_EVENTS.has(event)) notify();
    },

    toolsMayHaveChanged: notify,
  };
}

function failure(text: string, started: number): ToolCallOutcome {
  return { text, images: [], isError: true, durationMs: Date.now() - started };
}

export function parseCatalog(result: unknown): { tools: ModelTool[]; dropped: number } {
  if (!isRecord(result) || !Array.isArray(result.tools)) throw new Error('the gateway answered tools.catalog without a tools list');
  const tools: ModelTool[] = [];
  const seen = new Set<string>();
  for (const entry of result.tools as unknown[]) {
    if (
      isRecord(entry) &&
      typeof entry.name === 'string' &&
      /^[A-Za-z0-9_.-]{1,128}$/.test(entry.name) &&
      !seen.has(entry.name) &&
      typeof entry.description === 'string' &&
      isRecord(entry.parameters) &&
      entry.parameters.type === 'object'
    ) {
      seen.add(entry.name);
      tools.push({ name: entry.name, description: entry.description, parameters: entry.parameters as unknown as ModelTool['parameters'] });
    }
  }
  return { tools, dropped: result.tools.length - tools.length };
}

/** A ToolCallOutcome from the gateway's answer, or undefined when it is not one. */
export function parseOutcome(result: unknown): ToolCallOutcome | undefined {
  if (!isRecord(result) || typeof result.text !== 'string' || typeof result.isError !== 'boolean') return undefined;
  const images: ToolImage[] = [];
  if (result.images !== undefined) {
    if (!Array.isArray(result.images)) return undefined;
    for (const image of result.images as unknown[]) {
      if (!isRecord(image) || typeof image.mimeType !== 'string' || !/^image\/[\w.+-]+$/.test(image.mimeType) || typeof image.base64 !== 'string') return undefined;
      images.push({ mimeType: image.mimeType, base64: image.base64, ...(typeof image.savedTo === 'string' && { savedTo: image.savedTo }) });
    }
  }
  const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    text: result.text,
    images,
    isError: result.isError,
    durationMs: typeof result.durationMs === 'number' && Number.isFinite(result.durationMs) ? result.durationMs : 0,
    ...(optionalString(result.node) !== undefined && { node: result.node as string }),
    ...(optionalString(result.nodeId) !== undefined && { nodeId: result.nodeId as string }),
    ...(optionalString(result.command) !== undefined && { command: result.command as string }),
    ...(optionalString(result.pendingApprovalId) !== undefined && { pendingApprovalId: result.pendingApprovalId as string }),
  };
}

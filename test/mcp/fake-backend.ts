/** A ToolBackend for MCP tests: a settable tool list, recorded calls and canned outcomes. */
import type { ToolBackend, ToolCallOutcome } from '../../gateway/src/agent/tool-backend.js';
import type { ModelTool } from '../../gateway/src/agent/tools/catalogue.js';

/** 1×1 transparent PNG. */
export const PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

export const CAMERA_SNAP: ModelTool = {
  name: 'camera_snap',
  description: 'Take a photo with a node camera.',
  parameters: { type: 'object', properties: { node: { type: 'string', enum: ['phone'] }, facing: { type: 'string', enum: ['front', 'back'] } }, additionalProperties: false },
};
export const LIST_NODES: ModelTool = { name: 'list_nodes', description: 'List the connected nodes.', parameters: { type: 'object', properties: {}, additionalProperties: false } };

export class FakeBackend implements ToolBackend {
  tools: ModelTool[] = [CAMERA_SNAP, LIST_NODES];
  readonly calls: { name: string; args: unknown }[] = [];
  listCalls = 0;
  private readonly listeners = new Set<() => void>();
  outcome: (name: string, args: unknown) => ToolCallOutcome | Promise<ToolCallOutcome> = (name) =>
    name === 'camera_snap'
      ? { node: 'phone', command: 'camera.snap', text: 'photo from phone', images: [{ mimeType: 'image/png', base64: PIXEL_PNG }], isError: false, durationMs: 3 }
      : { text: 'phone (ios): camera.snap', images: [], isError: false, durationMs: 1 };

  async listTools(): Promise<ModelTool[]> {
    this.listCalls += 1;
    return this.tools;
  }

  async callTool(name: string, args: unknown): Promise<ToolCallOutcome> {
    this.calls.push({ name, args });
    return this.outcome(name, args);
  }

  onToolsChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  setTools(tools: ModelTool[]): void {
    this.tools = tools;
    for (const listener of this.listeners) listener();
  }
}

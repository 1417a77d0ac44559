/**
 * A session's conversation as the agent view shows it: the transcript (chat.history: the person's
 * messages, the assistant's text, each tool call with its result) and, while a run is going, its tool
 * steps and its answer streaming in. Every string is a text child (model text keeps its newlines).
 */
import { html } from '../html.js';
import { label } from '../text.js';
import type { UiContext } from '../ui-context.js';
import { multilineText, textOf, type ChatMessage, type LiveRun, type LiveToolStep } from './agent-run.js';
import { ToolStep, type ToolStepInfo } from './agent-tool-step.js';

type Item = { kind: 'user' | 'assistant'; text: string; key: string } | { kind: 'tool'; step: ToolStepInfo; key: string };

function fromLive(step: LiveToolStep): ToolStepInfo {
  const saved = step.savedTo ?? [];
  return {
    toolCallId: step.toolCallId,
    name: step.name,
    status: step.status,
    ...(step.node ? { node: step.node } : {}),
    ...(step.command ? { command: step.command } : {}),
    ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}),
    ...(step.args !== undefined ? { args: step.args } : {}),
    ...(step.summary ? { summary: step.summary } : {}),
    images: saved.filter((path) => /\.(jpg|png)$/.test(path)).map((path) => ({ path })),
    files: saved.filter((path) => !/\.(jpg|png)$/.test(path)),
  };
}

/** The transcript's items, with what the live tool events told of the same steps (command, duration). */
export function transcriptItems(messages: readonly ChatMessage[], live: ReadonlyMap<string, LiveToolStep>): Item[] {
  const items: Item[] = [];
  const steps = new Map<string, ToolStepInfo>();
  messages.forEach((message, index) => {
    if (message.role === 'user') items.push({ kind: 'user', text: textOf(message), key: `m${index}` });
    else if (message.role === 'assistant') {
      const text = textOf(message);
      if (text) items.push({ kind: 'assistant', text, key: `m${index}` });
      for (const part of message.content) {
        if (part.type !== 'toolCall' || typeof part.id !== 'string') continue;
        const known = live.get(part.id);
        const step: ToolStepInfo = known ? fromLive(known) : { toolCallId: part.id, name: typeof part.name === 'string' ? part.name : 'tool', status: 'running', images: [], files: [] };
        if (step.args === undefined && part.arguments !== undefined) step.args = part.arguments;
        steps.set(part.id, step);
        items.push({ kind: 'tool', step, key: `t${part.id}` });
      }
    } else if (message.role === 'toolResult') {
      const id = message.toolCallId ?? `r${index}`;
      let step = steps.get(id);
      if (!step) {
        step = { toolCallId: id, name: message.toolName ?? 'tool', status: 'running', images: [], files: [] };
        steps.set(id, step);
        items.push({ kind: 'tool', step, key: `t${id}` });
      }
      step.status = message.isError ? 'error' : 'ok';
      if (message.node) step.node = message.node;
      const text = textOf(message);
      if (text && !step.summary) step.summary = text;
      const images = message.content.filter((part) => part.type === 'image');
      if (images.length > 0) {
        step.images = images.map((part) => ({
          ...(typeof part.path === 'string' ? { path: part.path } : {}),
          ...(typeof part.mimeType === 'string' ? { mimeType: part.mimeType } : {}),
          ...(typeof part.data === 'string' ? { base64: part.data } : typeof part.base64 === 'string' ? { base64: part.base64 } : {}),
        }));
      }
      const files = message.content.filter((part) => part.type === 'file' && typeof part.path === 'string').map((part) => part.path as string);
      if (files.length > 0) step.files = files;
    }
  });
  return items;
}

export function Transcript(props: { ctx: UiContext; messages: readonly ChatMessage[]; live: ReadonlyMap<string, LiveToolStep>; run: LiveRun | undefined }) {
  const items = transcriptItems(props.messages, props.live);
  const shown = new Set(items.filter((item) => item.kind === 'tool').map((item) => (item.kind === 'tool' ? item.step.toolCallId : '')));
  const run = props.run;
  const liveSteps = run && run.state === 'running' ? run.toolOrder.filter((id) => !shown.has(id)).map((id) => props.live.get(id)).filter((step): step is LiveToolStep => step !== undefined) : [];
  return html`<ol class="transcript" aria-label="conversation">
    ${items.map((item) =>
      item.kind === 'tool'
        ? html`<${ToolStep} key=${item.key} ctx=${props.ctx} step=${item.step} />`
        : html`<li key=${item.key} class=${`message ${item.kind}`}><div class="who muted">${item.kind === 'user' ? 'You' : 'Agent'}</div><div class="text">${multilineText(item.text)}</div></li>`,
    )}
    ${liveSteps.map((step) => html`<${ToolStep} key=${`live${step.toolCallId}`} ctx=${props.ctx} step=${fromLive(step)} />`)}
    ${run && run.state === 'running'
      ? html`<li key="streaming" class="message assistant streaming" aria-live="polite"><div class="who muted">Agent (answering…)</div><div class="text">${multilineText(run.text)}</div></li>`
      : null}
    ${run && run.state === 'aborted' ? html`<li key="aborted" class="notice aborted muted">Stopped: the run was aborted.</li>` : null}
    ${run && run.state === 'error' ? html`<li key="error" class="notice run-error">The run failed: ${label(run.error, 400)}</li>` : null}
  </ol>`;
}

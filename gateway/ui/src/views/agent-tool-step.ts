/**
 * One tool step of an agent run: the tool, the node and command it ran, how long it took, whether it
 * worked, what it answered (as text), and the image it returned. Saved images come over HTTP from
 * GET /agent-media/<sha256>.<ext> with the page's credential (ctx.authHeaders()) and are shown from a
 * blob: URL; an image carried inline as base64 is shown from a data: URL. Nothing is ever HTML.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { label } from '../text.js';
import type { UiContext } from '../ui-context.js';
import { mediaName, multilineText } from './agent-run.js';

export interface StepImage {
  path?: string;
  mimeType?: string;
  /** Inline base64 (no data: prefix), when the step carried the bytes themselves. */
  base64?: string;
}

export interface ToolStepInfo {
  toolCallId: string;
  name: string;
  status: 'running' | 'ok' | 'error';
  node?: string;
  command?: string;
  durationMs?: number;
  args?: unknown;
  summary?: string;
  images: StepImage[];
  /** Files that are not images (clips): named, not shown. */
  files: string[];
}

const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function argsText(args: unknown): string {
  if (args === undefined) return '';
  try {
    return typeof args === 'string' ? args : JSON.stringify(args);
  } catch {
    return '';
  }
}

export function ToolStep(props: { ctx: UiContext; step: ToolStepInfo }) {
  const { step } = props;
  const status = step.status === 'running' ? 'running…' : step.status === 'ok' ? 'done' : 'failed';
  const args = argsText(step.args);
  return html`<li class=${`tool-step ${step.status}`} data-tool-call-id=${step.toolCallId} data-status=${step.status}>
    <div class="tool-head">
      <strong class="tool-name">${label(step.name, 64)}</strong>
      ${step.node ? html` on <span class="tool-node">${label(step.node, 64)}</span>` : null}
      ${step.command ? html` · <code class="tool-command">${label(step.command, 64)}</code>` : null}
      <span class="tool-status">${status}</span>
      ${step.durationMs !== undefined ? html`<span class="tool-duration muted">${duration(step.durationMs)}</span>` : null}
    </div>
    ${args ? html`<div class="muted tool-args"><code>${label(args, 300)}</code></div>` : null}
    ${step.summary ? html`<pre class="tool-summary">${multilineText(step.summary, 2000)}</pre>` : null}
    ${step.images.map((image, i) => html`<${StepImageView} key=${`${image.path ?? ''}${i}`} ctx=${props.ctx} image=${image} node=${step.node} />`)}
    ${step.files.map((file) => html`<div class="muted tool-file">saved ${label(file.slice(file.lastIndexOf('/') + 1), 80)}</div>`)}
  </li>`;
}

function StepImageView(props: { ctx: UiContext; image: StepImage; node?: string }) {
  const { image } = props;
  const alt = `image from ${label(props.node ?? 'the tool', 64)}`;
  if (image.base64 !== undefined && image.mimeType && INLINE_TYPES.has(image.mimeType) && /^[A-Za-z0-9+/]*={0,2}$/.test(image.base64)) {
    return html`<img class="tool-image" alt=${alt} src=${`data:${image.mimeType};base64,${image.base64}`} />`;
  }
  const name = image.path ? mediaName(image.path) : undefined;
  if (!name) return html`<div class="muted">an image that cannot be fetched (no saved file)</div>`;
  return html`<${FetchedImage} ctx=${props.ctx} name=${name} alt=${alt} />`;
}

function FetchedImage(props: { ctx: UiContext; name: string; alt: string }) {
  const [src, setSrc] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  useEffect(() => {
    let url: string | undefined;
    let alive = true;
    fetch(`/agent-media/${props.name}`, { headers: props.ctx.authHeaders(), cache: 'no-store', credentials: 'omit' })
      .then(async (response) => {
        if (!response.ok) throw new Error(`the gateway answered ${response.status}`);
        const blob = await response.blob();
        if (!/^image\/(png|jpeg)$/.test(blob.type)) throw new Error(`not an image (${blob.type || 'no type'})`);
        if (!alive) return;
        url = URL.createObjectURL(blob);
        setSrc(url);
      })
      .catch((error: unknown) => alive && setFailure(error instanceof Error ? error.message : String(error)));
    return () => {
      alive = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [props.name]);
  if (failure) return html`<div class="muted tool-image-failed">image ${label(props.name.slice(0, 12))}… not shown: ${label(failure, 120)}</div>`;
  if (!src) return html`<div class="muted">loading the image…</div>`;
  return html`<img class="tool-image" alt=${props.alt} src=${src} data-media=${props.name} />`;
}

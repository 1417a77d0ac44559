/**
 * Camera and screen captures in the invoke panel: a snapshot is shown as an <img>, a short clip plays in
 * a <video>. The bytes arrive as a Blob (media-blob.ts: fetched from the gateway's media store by id, or
 * decoded from small inline base64), their type proven by their first bytes; the element gets a blob:
 * URL that is revoked when the next capture replaces it or the panel goes away.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { label } from '../text.js';
import type { UiContext } from '../ui-context.js';
import { loadMedia, type LoadedMedia } from '../media-blob.js';
import { failureOf, invoke, type InvokeFailure } from './invoke-call.js';

/** Clips in the panel are short: a few seconds, so they come back quickly and stay small. */
export const CLIP_MS = 3_000;

interface CaptureSpec {
  command: 'camera.snap' | 'screen.snapshot' | 'camera.clip' | 'screen.record';
  title: string;
  button: string;
  params: Record<string, unknown>;
  timeoutMs: number;
}

export const CAPTURES: readonly CaptureSpec[] = [
  { command: 'camera.snap', title: 'Camera snapshot', button: 'Take photo', params: { maxWidth: 1280 }, timeoutMs: 30_000 },
  { command: 'screen.snapshot', title: 'Screen snapshot', button: 'Capture screen', params: { maxWidth: 1280 }, timeoutMs: 30_000 },
  { command: 'camera.clip', title: 'Camera clip', button: `Record ${CLIP_MS / 1000} s`, params: { durationMs: CLIP_MS }, timeoutMs: 60_000 },
  { command: 'screen.record', title: 'Screen recording', button: `Record ${CLIP_MS / 1000} s`, params: { durationMs: CLIP_MS }, timeoutMs: 60_000 },
];

type Shown = { url: string; media: LoadedMedia; meta: Record<string, unknown> };
type CaptureState = { phase: 'idle' } | { phase: 'busy' } | { phase: 'shown'; shown: Shown } | { phase: 'failed'; failure: InvokeFailure };

function metaLine(command: string, shown: Shown): string {
  const { media, meta } = shown;
  const parts: string[] = [];
  if (typeof meta.width === 'number' && typeof meta.height === 'number') parts.push(`${meta.width}×${meta.height}`);
  if (typeof meta.durationMs === 'number') parts.push(`${(meta.durationMs / 1000).toFixed(1)} s`);
  parts.push(`${Math.round(media.bytes / 1024)} KB ${media.kind}`);
  parts.push(media.via === 'gateway' ? 'from the gateway media store' : 'inline');
  if (media.verified) parts.push('sha256 checked');
  return `${command} · ${parts.join(' · ')}`;
}

export function CapturePanel(props: { ctx: UiContext; nodeId: string; spec: CaptureSpec }) {
  const { ctx, nodeId, spec } = props;
  const denied = ctx.denied('operator.write');
  const [state, setState] = useState<CaptureState>({ phase: 'idle' });
  const shownUrl = state.phase === 'shown' ? state.shown.url : undefined;
  // The blob: URL lives exactly as long as it is shown.
  useEffect(() => (shownUrl ? () => URL.revokeObjectURL(shownUrl) : undefined), [shownUrl]);
  // A capture that finishes after the panel went away (the node went offline) makes no blob: URL at all.
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);

  const capture = () => {
    setState({ phase: 'busy' });
    invoke(ctx, nodeId, spec.command, spec.params, spec.timeoutMs)
      .then(async (payload) => {
        const result = (payload ?? {}) as Record<string, unknown>;
        const media = await loadMedia(spec.command, result, ctx.authHeaders());
        if (!mounted.current) return;
        const { base64: _inline, ...meta } = result;
        setState({ phase: 'shown', shown: { url: URL.createObjectURL(media.blob), media, meta } });
      })
      .catch((error: unknown) => mounted.current && setState({ phase: 'failed', failure: failureOf(error) }));
  };

  const isVideo = spec.command === 'camera.clip' || spec.command === 'screen.record';
  return html`<div class="invoke-capture" data-command=${spec.command}>
    <h4>${spec.title} <code>${spec.command}</code></h4>
    <div class="actions">
      <button class="capture" title=${denied} disabled=${denied !== undefined || state.phase === 'busy'} onClick=${capture}>${spec.button}</button>
    </div>
    ${denied ? html`<p class="muted denied">Capturing ${denied}.</p>` : null}
    <div class="capture-result" aria-live="polite" data-phase=${state.phase}>
      ${state.phase === 'busy' ? html`<p class="muted">${isVideo ? 'Recording…' : 'Capturing…'}</p>` : null}
      ${state.phase === 'failed'
        ? html`<p class="error invoke-error"><code class="error-code">${label(state.failure.code, 40)}</code> ${label(state.failure.message, 600)}</p>`
        : null}
      ${state.phase === 'shown'
        ? html`<figure data-via=${state.shown.media.via} data-type=${state.shown.media.kind}>
            ${isVideo
              ? html`<video
                  class="clip"
                  src=${state.shown.url}
                  controls
                  muted
                  playsinline
                  preload="auto"
                  onError=${() => setState({ phase: 'failed', failure: { code: 'MEDIA_UNPLAYABLE', message: `this browser could not play the ${spec.command} clip (MP4); it may lack the codec` } })}
                ></video>`
              : html`<img class="snapshot" src=${state.shown.url} alt=${`${spec.title} from the node`} />`}
            <figcaption class="muted">${label(metaLine(spec.command, state.shown), 200)}</figcaption>
          </figure>`
        : null}
    </div>
  </div>`;
}

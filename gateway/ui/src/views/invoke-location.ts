/**
 * Where a node is (`location.get`): the coordinates as text and a small map drawn by the page itself,
 * an SVG with a latitude/longitude grid around the fix, the accuracy circle and a marker, plus a world
 * overview with the point on it. No tiles, no third-party address and no link: the page has no internet
 * and its CSP allows nothing outside the gateway.
 */
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { label } from '../text.js';
import type { UiContext } from '../ui-context.js';
import { failureOf, invoke, type InvokeFailure } from './invoke-call.js';

interface Fix {
  lat: number;
  lon: number;
  accuracyMeters: number;
  altitudeMeters?: number;
  timestamp: string;
  isPrecise: boolean;
  source: string;
}

const METERS_PER_DEGREE = 111_320;
const SIZE = 240;

/** A grid step of 1, 2 or 5 × 10^k degrees giving about `lines` lines over `span` degrees. */
export function gridStep(span: number, lines = 4): number {
  const raw = span / lines;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) if (raw <= factor * power) return factor * power;
  return 10 * power;
}

function decimals(step: number): number {
  return Math.max(0, Math.min(8, -Math.floor(Math.log10(step))));
}

export function formatCoordinate(value: number, positive: string, negative: string): string {
  return `${Math.abs(value).toFixed(5)}° ${value >= 0 ? positive : negative}`;
}

/** The local map: square in metres around the fix, so the accuracy circle is a circle. */
export function LocalMap(props: { fix: Fix }) {
  const { lat, lon, accuracyMeters } = props.fix;
  const halfMeters = Math.max(accuracyMeters * 2.5, 250);
  const cosLat = Math.max(Math.cos((lat * Math.PI) / 180), 0.01);
  const halfLat = halfMeters / METERS_PER_DEGREE;
  const halfLon = halfMeters / (METERS_PER_DEGREE * cosLat);
  const x = (lo: number) => ((lo - (lon - halfLon)) / (2 * halfLon)) * SIZE;
  const y = (la: number) => (((lat + halfLat) - la) / (2 * halfLat)) * SIZE;
  const latStep = gridStep(2 * halfLat);
  const lonStep = gridStep(2 * halfLon);
  const latLines: number[] = [];
  for (let la = Math.ceil((lat - halfLat) / latStep) * latStep; la <= lat + halfLat; la += latStep) latLines.push(la);
  const lonLines: number[] = [];
  for (let lo = Math.ceil((lon - halfLon) / lonStep) * lonStep; lo <= lon + halfLon; lo += lonStep) lonLines.push(lo);
  const radius = (accuracyMeters / halfMeters) * (SIZE / 2);
  const centre = SIZE / 2;
  return html`<svg class="map local" viewBox=${`0 0 ${SIZE} ${SIZE}`} width=${SIZE} height=${SIZE} role="img" aria-label=${`map around ${lat.toFixed(5)}, ${lon.toFixed(5)}, accuracy ${Math.round(accuracyMeters)} m`}>
    <rect class="map-bg" x="0" y="0" width=${SIZE} height=${SIZE} />
    ${latLines.map((la) => html`<g><line class="grid" x1="0" x2=${SIZE} y1=${y(la)} y2=${y(la)} /><text class="grid-label" x="3" y=${y(la) - 2}>${la.toFixed(decimals(latStep))}°</text></g>`)}
    ${lonLines.map((lo) => html`<g><line class="grid" y1="0" y2=${SIZE} x1=${x(lo)} x2=${x(lo)} /><text class="grid-label" y=${SIZE - 3} x=${x(lo) + 2}>${lo.toFixed(decimals(lonStep))}°</text></g>`)}
    <circle class="accuracy" cx=${centre} cy=${centre} r=${Math.max(radius, 1)} />
    <line class="marker-cross" x1=${centre - 8} x2=${centre + 8} y1=${centre} y2=${centre} />
    <line class="marker-cross" y1=${centre - 8} y2=${centre + 8} x1=${centre} x2=${centre} />
    <circle class="marker" cx=${centre} cy=${centre} r="4" />
    <text class="scale" x=${SIZE - 4} y="12" text-anchor="end">${Math.round(halfMeters * 2)} m across</text>
  </svg>`;
}

/** The world, equirectangular, with a 30° graticule and the point. */
export function WorldMap(props: { fix: Fix }) {
  const w = 180;
  const h = 90;
  const x = (lo: number) => ((lo + 180) / 360) * w;
  const y = (la: number) => ((90 - la) / 180) * h;
  const meridians = [-150, -120, -90, -60, -30, 0, 30, 60, 90, 120, 150];
  const parallels = [-60, -30, 0, 30, 60];
  return html`<svg class="map world" viewBox=${`0 0 ${w} ${h}`} width=${w} height=${h} role="img" aria-label="the point on a world grid">
    <rect class="map-bg" x="0" y="0" width=${w} height=${h} />
    ${meridians.map((lo) => html`<line class=${lo === 0 ? 'grid main' : 'grid'} x1=${x(lo)} x2=${x(lo)} y1="0" y2=${h} />`)}
    ${parallels.map((la) => html`<line class=${la === 0 ? 'grid main' : 'grid'} y1=${y(la)} y2=${y(la)} x1="0" x2=${w} />`)}
    <circle class="marker" cx=${x(props.fix.lon)} cy=${y(props.fix.lat)} r="3" />
  </svg>`;
}

type LocationState = { phase: 'idle' } | { phase: 'busy' } | { phase: 'shown'; fix: Fix } | { phase: 'failed'; failure: InvokeFailure };

function validFix(payload: unknown): Fix | undefined {
  const fix = payload as Partial<Fix> | undefined;
  const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
  if (!fix || !finite(fix.lat) || !finite(fix.lon) || !finite(fix.accuracyMeters)) return undefined;
  if (Math.abs(fix.lat) > 90 || Math.abs(fix.lon) > 180 || fix.accuracyMeters < 0) return undefined;
  return { ...fix, timestamp: String(fix.timestamp ?? ''), source: String(fix.source ?? ''), isPrecise: fix.isPrecise === true } as Fix;
}

export function LocationPanel(props: { ctx: UiContext; nodeId: string }) {
  const { ctx, nodeId } = props;
  const denied = ctx.denied('operator.write');
  const [state, setState] = useState<LocationState>({ phase: 'idle' });
  const locate = () => {
    setState({ phase: 'busy' });
    invoke(ctx, nodeId, 'location.get', { desiredAccuracy: 'balanced' }, 30_000).then(
      (payload) => {
        const fix = validFix(payload);
        setState(fix ? { phase: 'shown', fix } : { phase: 'failed', failure: { code: 'INVALID_NODE_RESULT', message: 'the node answered location.get with something that is not a location; nothing is shown' } });
      },
      (error: unknown) => setState({ phase: 'failed', failure: failureOf(error) }),
    );
  };
  return html`<div class="invoke-location">
    <h4>Location <code>location.get</code></h4>
    <div class="actions">
      <button class="locate" title=${denied} disabled=${denied !== undefined || state.phase === 'busy'} onClick=${locate}>Locate</button>
    </div>
    ${denied ? html`<p class="muted denied">Locating ${denied}.</p>` : null}
    <div class="location-result" aria-live="polite" data-phase=${state.phase}>
      ${state.phase === 'busy' ? html`<p class="muted">Locating…</p>` : null}
      ${state.phase === 'failed'
        ? html`<p class="error invoke-error"><code class="error-code">${label(state.failure.code, 40)}</code> ${label(state.failure.message, 600)}</p>`
        : null}
      ${state.phase === 'shown'
        ? html`<div>
            <p class="coordinates" data-lat=${String(state.fix.lat)} data-lon=${String(state.fix.lon)}>
              <strong>${formatCoordinate(state.fix.lat, 'N', 'S')}, ${formatCoordinate(state.fix.lon, 'E', 'W')}</strong>
              ± ${Math.round(state.fix.accuracyMeters)} m${state.fix.altitudeMeters !== undefined ? ` · ${Math.round(state.fix.altitudeMeters)} m altitude` : ''}
            </p>
            <p class="muted">source ${label(state.fix.source, 32)} · ${state.fix.isPrecise ? 'precise' : 'approximate'} · ${label(state.fix.timestamp, 40)}</p>
            <div class="maps"><${LocalMap} fix=${state.fix} /><${WorldMap} fix=${state.fix} /></div>
          </div>`
        : null}
    </div>
  </div>`;
}

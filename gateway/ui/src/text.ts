/**
 * How the page turns the gateway's strings into text. Preact renders strings as text (never HTML);
 * safeLabel also makes control, format and line-separator characters visible escapes, as the CLI does.
 */
import { safeLabel } from '../../../protocol/src/display.js';

export function label(text: string | undefined, max = 64): string {
  return safeLabel(text, max);
}

export function ago(ms: number | undefined): string {
  if (ms === undefined) return 'never seen';
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (seconds < 60) return 'seen just now';
  if (seconds < 3600) return `seen ${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `seen ${Math.round(seconds / 3600)} h ago`;
  return `seen ${Math.round(seconds / 86_400)} d ago`;
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

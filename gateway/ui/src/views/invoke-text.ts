/**
 * The text rules of the run panel, kept free of the DOM and of Preact so tests can check them alone:
 * how the argv box becomes an argv, and how program output becomes text on the page.
 */
import { label } from '../text.js';

/** What the page shows of each stream; the node caps its capture at 200 kB already. */
export const OUTPUT_SHOW_CHARS = 20_000;

/**
 * The argv from the text box: one argument per line. A final line break is not an argument; every other
 * line is one, blank lines included (an empty argument). A trailing CR (pasted from Windows) is dropped.
 */
export function argvFromLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Program output as text: line breaks and tabs kept, every other control or format character shown
 * as a visible escape (label()), so ESC sequences and bidi overrides are inert; capped for the page.
 */
export function outputText(text: string, max = OUTPUT_SHOW_CHARS): { text: string; cut: boolean } {
  const cut = text.length > max;
  const shown = (cut ? text.slice(0, max) : text)
    .replace(/\r\n/g, '\n')
    .split(/(\n|\t)/)
    .map((part) => (part === '\n' || part === '\t' || part === '' ? part : label(part, Number.MAX_SAFE_INTEGER)))
    .join('');
  return { text: shown, cut };
}


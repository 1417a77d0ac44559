/**
 * `tether nodes run` mirrors the remote program's stdout and stderr. Piped or redirected, the bytes
 * pass through unchanged (so `tether nodes run -- cat f > f` copies f). On a terminal the node's text
 * could redraw the screen (erase the command line, fake a prompt), so there it is escaped like every
 * other remote string, keeping only line breaks and tabs. Colours are lost; pipe through `cat -v` or use
 * `--json` to see the raw text.
 */
import { safeText } from '@tether/protocol';

export interface OutputStream {
  isTTY?: boolean;
  write(text: string): boolean;
}

/** `text` for a terminal: controls and bidi characters escaped, except newline and tab; CRLF becomes LF. */
export function terminalSafeOutput(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split(/(\n|\t)/)
    .map((part) => (part === '\n' || part === '\t' ? part : safeText(part)))
    .join('');
}

export function writeProgramOutput(stream: OutputStream, text: string): void {
  if (text === '') return;
  stream.write(stream.isTTY ? terminalSafeOutput(text) : text);
}

/**
 * A reply cut to a platform's message limit (Telegram 4,000, Discord 2,000, Slack 4,000) without
 * breaking a fenced code block: a chunk that ends inside a ``` block closes it, and the next chunk
 * reopens it with the same fence line (language kept), so every chunk renders on its own. Cuts prefer
 * a blank line, then a line end, then a space; a single word longer than the limit is cut hard.
 */
const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

export function chunkText(text: string, limit: number): string[] {
  if (limit < 32) throw new RangeError('a chunk limit below 32 characters cannot hold a code fence');
  const chunks: string[] = [];
  let rest = text;
  let reopen = '';
  while (rest.length > 0) {
    const body = reopen ? `${reopen}\n${rest}` : rest;
    if (body.length <= limit) {
      chunks.push(body);
      break;
    }
    // Room for a closing fence (a line break and up to 7 backticks), should this chunk end inside a block.
    const room = limit - 8;
    const cut = cutPoint(body, room);
    let chunk = body.slice(0, cut).replace(/\s+$/, '');
    const open = openFence(chunk);
    if (open) chunk = `${chunk}\n${open.marker}`;
    chunks.push(chunk);
    const consumed = cut - (reopen ? reopen.length + 1 : 0);
    rest = rest.slice(Math.max(consumed, 1)).replace(/^\s*\n/, '');
    // A long info string is not repeated (it could crowd out the content): the bare marker reopens it.
    reopen = open ? (open.line.length <= 32 ? open.line : open.marker) : '';
  }
  return chunks.filter((chunk) => chunk.trim() !== '');
}

function cutPoint(text: string, room: number): number {
  const window = text.slice(0, room);
  for (const separator of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(separator);
    if (at > room / 2) return at + separator.length;
  }
  return room;
}

/** The fence still open at the end of `text` (its opening line, and the marker that closes it). */
function openFence(text: string): { line: string; marker: string } | undefined {
  let open: { line: string; marker: string } | undefined;
  for (const line of text.split('\n')) {
    const match = FENCE.exec(line);
    if (!match) continue;
    const marker = match[2]!;
    if (open && marker[0] === open.marker[0] && marker.length >= open.marker.length && match[3]!.trim() === '') open = undefined;
    else if (!open) open = { line: line.trim(), marker };
  }
  return open;
}

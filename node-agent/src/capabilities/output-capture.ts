/**
 * Collects a child's stdout and stderr up to one shared byte budget. Past the budget the streams keep
 * draining (so the child never blocks on a full pipe) but the bytes are dropped.
 */
export type OutputStream = 'stdout' | 'stderr';

export interface CapturedOutput {
  stdout: string;
  stderr: string;
  truncated: boolean;
}

export class OutputCapture {
  private readonly chunks: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  private used = 0;
  private truncated = false;

  constructor(private readonly capBytes: number) {}

  push(stream: OutputStream, chunk: Buffer): void {
    const room = this.capBytes - this.used;
    if (chunk.length <= room) {
      this.chunks[stream].push(chunk);
      this.used += chunk.length;
      return;
    }
    if (room > 0) this.chunks[stream].push(chunk.subarray(0, room));
    this.used = this.capBytes;
    this.truncated = true;
  }

  finish(): CapturedOutput {
    let stdoutBytes: Buffer = Buffer.concat(this.chunks.stdout);
    let stderrBytes: Buffer = Buffer.concat(this.chunks.stderr);
    if (this.truncated) {
      // Either stream may have lost the rest of a character at the cut.
      stdoutBytes = dropIncompleteUtf8Tail(stdoutBytes);
      stderrBytes = dropIncompleteUtf8Tail(stderrBytes);
    }
    // Invalid bytes decode to U+FFFD (3 bytes each), so re-check the budget on the decoded text.
    const stdout = fitUtf8(stdoutBytes.toString('utf8'), this.capBytes);
    const stderr = fitUtf8(stderrBytes.toString('utf8'), this.capBytes - Buffer.byteLength(stdout.text));
    return { stdout: stdout.text, stderr: stderr.text, truncated: this.truncated || stdout.cut || stderr.cut };
  }
}

/** Drops a trailing partial UTF-8 sequence, if any, so decoding never yields a broken last character. */
export function dropIncompleteUtf8Tail(bytes: Buffer): Buffer {
  const stop = Math.max(0, bytes.length - 4);
  for (let i = bytes.length - 1; i >= stop; i--) {
    const byte = bytes[i] as number;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return bytes.length - i < need ? bytes.subarray(0, i) : bytes;
  }
  return bytes;
}

function fitUtf8(text: string, maxBytes: number): { text: string; cut: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, cut: false };
  return { text: dropIncompleteUtf8Tail(bytes.subarray(0, Math.max(0, maxBytes))).toString('utf8'), cut: true };
}

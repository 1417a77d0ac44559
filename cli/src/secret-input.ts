/**
 * Secrets typed or piped into the CLI (`tether channels login`): on a terminal each is asked for with
 * the typing hidden; otherwise stdin is read once and its lines are taken in order, so
 * `printf '%s\n' "$TOKEN" | tether channels login telegram` works in scripts. A secret never goes
 * through argv, where other users' `ps` would see it.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { safeText } from '@tether/protocol';

const MAX_STDIN_BYTES = 64 * 1024;

export async function readSecrets(prompts: readonly string[]): Promise<string[]> {
  if (process.stdin.isTTY) {
    const answers: string[] = [];
    for (const prompt of prompts) answers.push(await askHidden(prompt));
    return answers;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_STDIN_BYTES) throw new Error('more than 64 KiB on stdin: expected one secret per line');
    chunks.push(chunk);
  }
  const lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
  return prompts.map((_, index) => (lines[index] ?? '').trim());
}

function askHidden(prompt: string): Promise<string> {
  process.stderr.write(`${safeText(prompt)}`);
  // Echo goes nowhere while the secret is typed.
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer.trim());
    });
  });
}

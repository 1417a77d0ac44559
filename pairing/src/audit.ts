/**
 * `<stateDir>/pairing/audit.jsonl`: one JSON line per pairing decision, appended and never rewritten,
 * so "who approved this device, and when" survives every later change to the state file.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry } from './types.js';

export class AuditLog {
  readonly path: string;

  constructor(pairingDir: string) {
    this.path = join(pairingDir, 'audit.jsonl');
  }

  /** One append per batch: small O_APPEND writes from the gateway and the CLI do not interleave. */
  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
    await fs.appendFile(this.path, text, { mode: 0o600 });
  }
}

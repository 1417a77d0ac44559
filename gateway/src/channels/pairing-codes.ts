/**
 * Chat senders waiting for the owner: under dmPolicy "pairing" a stranger gets an 8-character code
 * (no 0/O/1/I, so it reads aloud), valid an hour, at most 3 waiting per channel (a flood of strangers
 * gets no more codes, and a repeat sender keeps their code); `approve` moves the sender to the
 * channel's approved set. Kept in `<stateDir>/channels/pairing.json`, written atomically.
 */
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { ensurePrivateDir, readJsonFile, writeJsonAtomic } from '@tether/pairing';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const CHANNEL_CODE_TTL_MS = 60 * 60 * 1000;
export const MAX_PENDING_PER_CHANNEL = 3;

export interface PendingSender {
  code: string;
  channel: string;
  senderId: string;
  senderName?: string;
  createdAtMs: number;
}

interface State {
  version: 1;
  pending: PendingSender[];
  approved: Record<string, string[]>;
}

export type CodeOutcome = { kind: 'new'; code: string } | { kind: 'existing'; code: string } | { kind: 'full' };

export class ChannelPairing {
  private state: State;
  private write: Promise<void> = Promise.resolve();

  constructor(
    private readonly stateDir: string,
    private readonly now: () => number = Date.now,
  ) {
    const value = readJsonFile(this.path) as Partial<State> | undefined;
    this.state = value?.version === 1 && Array.isArray(value.pending) && typeof value.approved === 'object' && value.approved !== null
      ? { version: 1, pending: value.pending, approved: value.approved }
      : { version: 1, pending: [], approved: {} };
  }

  private get path(): string {
    return join(this.stateDir, 'channels', 'pairing.json');
  }

  approvedSenders(channel: string): ReadonlySet<string> {
    return new Set(Object.hasOwn(this.state.approved, channel) ? this.state.approved[channel] : []);
  }

  /** The code to send a stranger: theirs if they already have one, a new one if there is room. */
  async codeFor(channel: string, senderId: string, senderName?: string): Promise<CodeOutcome> {
    this.expire();
    const mine = this.state.pending.find((p) => p.channel === channel && p.senderId === senderId);
    if (mine) return { kind: 'existing', code: mine.code };
    if (this.state.pending.filter((p) => p.channel === channel).length >= MAX_PENDING_PER_CHANNEL) return { kind: 'full' };
    const code = Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    this.state.pending.push({ code, channel, senderId, createdAtMs: this.now(), ...(senderName ? { senderName: senderName.slice(0, 64) } : {}) });
    await this.save();
    return { kind: 'new', code };
  }

  list(): PendingSender[] {
    this.expire();
    return [...this.state.pending];
  }

  /** Approves the sender holding `code` (case-insensitive); undefined for an unknown or expired code. */
  async approve(code: string): Promise<PendingSender | undefined> {
    this.expire();
    const wanted = code.trim().toUpperCase();
    const entry = this.state.pending.find((p) => p.code === wanted);
    if (!entry) return undefined;
    this.state.pending = this.state.pending.filter((p) => p !== entry);
    const list = Object.hasOwn(this.state.approved, entry.channel) ? this.state.approved[entry.channel]! : [];
    if (!list.includes(entry.senderId)) list.push(entry.senderId);
    this.state.approved[entry.channel] = list;
    await this.save();
    return entry;
  }

  private expire(): void {
    const cutoff = this.now() - CHANNEL_CODE_TTL_MS;
    this.state.pending = this.state.pending.filter((p) => p.createdAtMs > cutoff);
  }

  private save(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.state)) as State;
    this.write = this.write.catch(() => undefined).then(() => {
      ensurePrivateDir(join(this.stateDir, 'channels'));
      return writeJsonAtomic(this.path, snapshot);
    });
    return this.write;
  }
}

/**
 * Who is connected (`presence`). Changes are announced to operators coalesced: a burst of connects
 * (a fleet reconnecting after a gateway restart) costs one broadcast per interval, not one per socket
 * times every operator. The version moves at once, so a hello-ok snapshot is always current.
 */
import type { PresenceEntry } from '@tether/protocol';
import type { GatewayContext } from './context.js';

export const PRESENCE_COALESCE_MS = 100;

export function presenceEntries(gateway: GatewayContext): PresenceEntry[] {
  const entries: PresenceEntry[] = [];
  for (const connection of gateway.broadcaster.all()) {
    const session = connection.session;
    if (!session) continue;
    const entry: PresenceEntry = {
      ts: session.connectedAtMs,
      connId: connection.connId,
      clientId: session.clientId,
      clientMode: session.clientMode,
      role: session.role,
      remoteIp: connection.remoteIp,
    };
    if (session.deviceId) entry.deviceId = session.deviceId;
    if (session.displayName) entry.displayName = session.displayName;
    if (session.platform) entry.platform = session.platform;
    entries.push(entry);
  }
  return entries;
}


export class PresenceAnnouncer {
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly gateway: () => GatewayContext) {}

  /** In-process listeners (the agent's tool list) told on every change, coalesced like the broadcast. */
  onChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    const gateway = this.gateway();
    gateway.broadcaster.presenceVersion++;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const current = this.gateway();
      current.broadcaster.broadcast('presence', { presence: presenceEntries(current) }, 'operators', { withStateVersion: true, dropIfSlow: true });
      for (const listener of this.listeners) listener();
    }, PRESENCE_COALESCE_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

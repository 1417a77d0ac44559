/** Fan-out of events to authenticated connections, with per-connection seq and scope gating. */
import type { Connection } from './connection.js';

export type Audience = 'all' | 'operators' | { scope: string };

export class Broadcaster {
  private readonly connections = new Set<Connection>();
  presenceVersion = 0;
  healthVersion = 0;

  add(connection: Connection): void {
    this.connections.add(connection);
  }

  delete(connection: Connection): void {
    this.connections.delete(connection);
  }

  all(): Iterable<Connection> {
    return this.connections;
  }

  get size(): number {
    return this.connections.size;
  }

  /** `stateVersion` rides only on presence and health events, as in OpenClaw. */
  broadcast(event: string, payload: unknown, audience: Audience = 'all', options: { withStateVersion?: boolean; dropIfSlow?: boolean } = {}): void {
    const body = payload === undefined ? '' : `,"payload":${JSON.stringify(payload)}`;
    const stateVersion = options.withStateVersion
      ? `,"stateVersion":{"presence":${this.presenceVersion},"health":${this.healthVersion}}`
      : '';
    const prefix = `{"type":"event","event":${JSON.stringify(event)}${body},"seq":`;
    for (const connection of this.connections) {
      if (!matches(connection, audience)) continue;
      connection.sendBroadcast((seq) => `${prefix}${seq}${stateVersion}}`, options.dropIfSlow);
    }
  }
}

function matches(connection: Connection, audience: Audience): boolean {
  const session = connection.session;
  if (!session) return false;
  if (audience === 'all') return true;
  if (session.role !== 'operator') return false;
  if (audience === 'operators') return true;
  return session.scopes.has(audience.scope) || session.scopes.has('operator.admin');
}

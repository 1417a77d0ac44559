/** Builds `hello-ok`. */
import { MAX_BUFFERED_BYTES, MAX_PAYLOAD_BYTES, type HelloOk } from '@tether/protocol';
import type { Connection } from './connection.js';
import { GATEWAY_EVENTS, type GatewayContext } from './context.js';
import type { Admission } from './handshake.js';
import { presenceEntries } from './presence.js';

export function buildHelloOk(gateway: GatewayContext, connection: Connection, admission: Extract<Admission, { ok: true }>): HelloOk {
  const auth: NonNullable<HelloOk['auth']> = { role: admission.role, scopes: admission.scopes, method: admission.authMethod };
  if (admission.issuedToken) {
    auth.deviceToken = admission.issuedToken;
    auth.issuedAtMs = Date.now();
  }
  return {
    type: 'hello-ok',
    protocol: admission.protocol,
    server: { version: gateway.version, connId: connection.connId },
    features: { methods: gateway.methodNames(), events: [...GATEWAY_EVENTS], capabilities: [] },
    snapshot: {
      presence: admission.role === 'operator' ? presenceEntries(gateway) : [],
      health: {},
      stateVersion: { presence: gateway.broadcaster.presenceVersion, health: gateway.broadcaster.healthVersion },
      uptimeMs: Date.now() - gateway.startedAtMs,
    },
    auth,
    policy: { maxPayload: MAX_PAYLOAD_BYTES, maxBufferedBytes: MAX_BUFFERED_BYTES, tickIntervalMs: gateway.config.tickIntervalMs },
  };
}

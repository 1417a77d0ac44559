/** `logs.tail` (operator.admin): the last records of `<stateDir>/logs/gateway.log`, and with `follow` the new ones. */
import { DetailCode, ErrorCode, GatewayError, LogsTailParamsSchema, type LogsTailResult } from '@tether/protocol';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';
import { gatewayLogOf, type GatewayLog } from '../log.js';
import { LogFollowers } from '../log/followers.js';
import { readTail, snapshotFiles } from '../log/tail.js';

const DEFAULT_LINES = 100;
const followersByLog = new WeakMap<GatewayLog, LogFollowers>();

function followersOf(log: GatewayLog): LogFollowers {
  let followers = followersByLog.get(log);
  if (!followers) {
    followers = new LogFollowers(log);
    followersByLog.set(log, followers);
  }
  return followers;
}

export const logMethods: RegisteredMethod[] = [
  defineMethod({
    method: 'logs.tail',
    roles: ['operator'],
    // Log lines name devices, addresses and what peers sent: the owner's view, like the config.
    scope: 'operator.admin',
    params: LogsTailParamsSchema,
    handler: async ({ gateway, connection }, params): Promise<LogsTailResult> => {
      const log = gatewayLogOf(gateway.log);
      if (!log?.sink) {
        throw new GatewayError({
          code: ErrorCode.UNAVAILABLE,
          message: 'this gateway writes no log file (it was started with its own logger); read the log where its embedder sends it',
          details: { code: DetailCode.INTERNAL },
        });
      }
      const filter = { ...(params.level ? { level: params.level } : {}), ...(params.subsystem ? { subsystem: params.subsystem } : {}) };
      // The subscription and the snapshot happen in the same tick: each record is either in the tail or followed.
      let follow: { start(): void } | undefined;
      if (params.follow) {
        follow = followersOf(log).add(connection, filter);
        if (!follow) {
          throw new GatewayError({
            code: ErrorCode.UNAVAILABLE,
            message: 'too many connections follow the log already; stop one (end its `tether logs --follow`) and retry',
            details: { code: DetailCode.TOO_MANY_CONNECTIONS },
            retryable: true,
          });
        }
      }
      const snapshot = snapshotFiles(log.sink.files());
      const { records, truncated } = await readTail(snapshot, params.lines ?? DEFAULT_LINES, filter);
      // Runs after the registry sent this answer (its continuation is a microtask; this is the next macrotask).
      if (follow) setImmediate(() => follow.start());
      return { records, file: log.sink.path, ...(truncated ? { truncated } : {}), following: follow !== undefined };
    },
  }),
];

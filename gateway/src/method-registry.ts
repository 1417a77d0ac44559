/**
 * Dispatch and authorisation for every method. Adding a method means adding one registration:
 * `{method, roles, scope, params, handler}`. Messages for unknown methods and wrong roles are exactly
 * OpenClaw's, because its clients branch on them.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import {
  createValidator,
  DetailCode,
  ErrorCode,
  GatewayError,
  type OperatorScope,
  type RequestFrame,
  type Role,
  type Validator,
} from '@tether/protocol';
import type { Connection, ConnectionSession } from './connection.js';
import type { GatewayContext } from './context.js';

export interface MethodContext {
  gateway: GatewayContext;
  connection: Connection;
  session: ConnectionSession;
  /** The request frame's id: a method that answers twice (OpenClaw's `agent`) sends the first itself. */
  requestId?: string;
}

export interface MethodDefinition<S extends TSchema = TSchema> {
  method: string;
  roles: readonly Role[];
  /**
   * Operator scope needed; a function when it depends on the params or on who asks (undefined: none,
   * for example a device acting on itself). `operator.admin` satisfies all.
   */
  scope?: OperatorScope | ((params: Static<S>, session: ConnectionSession) => OperatorScope | undefined);
  params: S;
  handler(ctx: MethodContext, params: Static<S>): unknown;
}

/** A registration with its params type erased: the registry validates params against `params` before calling. */
export interface RegisteredMethod {
  method: string;
  roles: readonly Role[];
  scope?: OperatorScope | ((params: unknown, session: ConnectionSession) => OperatorScope | undefined);
  params: TSchema;
  handler(ctx: MethodContext, params: unknown): unknown;
}

/**
 * Type-checks a registration against its schema, then erases the params type. The cast is sound
 * because `dispatch` only calls `handler`/`scope` with params that passed `params`' validator.
 */
export function defineMethod<S extends TSchema>(definition: MethodDefinition<S>): RegisteredMethod {
  return definition as unknown as RegisteredMethod;
}

interface Entry {
  definition: RegisteredMethod;
  validator: Validator<unknown>;
}

export class MethodRegistry {
  private readonly entries = new Map<string, Entry>();

  register(definitions: readonly RegisteredMethod[]): void {
    for (const definition of definitions) {
      if (this.entries.has(definition.method)) throw new Error(`method ${definition.method} registered twice`);
      this.entries.set(definition.method, { definition, validator: createValidator(definition.params) });
    }
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  async dispatch(ctx: MethodContext, frame: RequestFrame): Promise<void> {
    try {
      const result = await this.call(ctx, frame);
      ctx.connection.sendResult(frame.id, result);
    } catch (error) {
      if (error instanceof GatewayError) {
        ctx.connection.sendError(frame.id, error.toShape());
        return;
      }
      ctx.gateway.log.error(`${frame.method} failed: ${(error as Error).stack ?? String(error)}`);
      ctx.connection.sendError(frame.id, {
        code: ErrorCode.UNAVAILABLE,
        message: `internal error in ${frame.method}; see the gateway log`,
        details: { code: DetailCode.INTERNAL },
      });
    }
  }

  private call(context: MethodContext, frame: RequestFrame): unknown {
    const ctx = { ...context, requestId: frame.id };
    const entry = this.entries.get(frame.method);
    if (!entry) {
      throw new GatewayError({ code: ErrorCode.INVALID_REQUEST, message: `unknown method: ${frame.method}`, details: { code: DetailCode.UNKNOWN_METHOD } });
    }
    const { definition, validator } = entry;
    const role = ctx.session.role;
    if (!definition.roles.includes(role)) {
      throw new GatewayError({ code: ErrorCode.INVALID_REQUEST, message: `unauthorized role: ${role}`, details: { code: DetailCode.UNAUTHORIZED_ROLE } });
    }
    const params = frame.params ?? {};
    if (!validator.check(params)) {
      throw new GatewayError({
        code: ErrorCode.INVALID_REQUEST,
        message: `invalid ${frame.method} params: ${validator.lastError()}`,
        details: { code: DetailCode.INVALID_PARAMS },
      });
    }
    if (role === 'operator' && definition.scope) {
      const scope = typeof definition.scope === 'function' ? definition.scope(params, ctx.session) : definition.scope;
      if (scope !== undefined && !ctx.session.scopes.has(scope) && !ctx.session.scopes.has('operator.admin')) {
        throw new GatewayError({
          code: ErrorCode.FORBIDDEN,
          message: `missing scope: ${scope}`,
          details: { code: DetailCode.MISSING_SCOPE, missingScope: scope, requiredScopes: [scope] },
        });
      }
    }
    return definition.handler(ctx, params);
  }
}

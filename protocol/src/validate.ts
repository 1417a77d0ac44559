/**
 * Ajv validators, compiled once per schema on first use (compiling everything at start-up would cost
 * the gateway tens of milliseconds of its start budget for methods nobody calls).
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { EventFrameSchema, RequestFrameSchema, ResponseFrameSchema, type Frame } from './frames.js';

// strictNumbers: JSON has no Infinity, but `1e400` parses to it, and without this Ajv lets it pass
// as an integer (a seq, a timeout, a protocol version).
const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false, useDefaults: false, strictNumbers: true });

export interface Validator<T> {
  check(value: unknown): value is T;
  /** A one-line description of why the last `check` failed. */
  lastError(): string;
}

export function createValidator<S extends TSchema>(schema: S): Validator<Static<S>> {
  let compiled: ValidateFunction | undefined;
  return {
    check(value: unknown): value is Static<S> {
      // A schema with an $id may already be registered as part of a larger one compiled earlier.
      const validate = (compiled ??= (schema.$id ? ajv.getSchema(schema.$id) : undefined) ?? ajv.compile(schema));
      return validate(value) as boolean;
    },
    lastError(): string {
      return formatAjvErrors(compiled?.errors);
    },
  };
}

export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return 'invalid value';
  return errors
    .map((e) => {
      const at = e.instancePath === '' ? 'value' : e.instancePath.slice(1).replace(/\//g, '.');
      if (e.keyword === 'additionalProperties') return `${at}: unexpected property "${String(e.params.additionalProperty)}"`;
      if (e.keyword === 'required') return `${at}: missing required property "${String(e.params.missingProperty)}"`;
      return `${at}: ${e.message ?? 'invalid'}`;
    })
    .join('; ');
}

const requestFrame = createValidator(RequestFrameSchema);
const responseFrame = createValidator(ResponseFrameSchema);
const eventFrame = createValidator(EventFrameSchema);

export type ParsedFrame = { ok: true; frame: Frame } | { ok: false; reason: string };

/** Parses one text frame. Never throws: a bad frame comes back with the reason. */
export function parseFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'frame is not a JSON object' };
  const type = (value as { type?: unknown }).type;
  const validator = type === 'req' ? requestFrame : type === 'res' ? responseFrame : type === 'event' ? eventFrame : undefined;
  if (!validator) return { ok: false, reason: 'frame type must be "req", "res" or "event"' };
  if (!validator.check(value)) return { ok: false, reason: `invalid ${String(type)} frame: ${validator.lastError()}` };
  return { ok: true, frame: value as Frame };
}

/**
 * JSON Schemas the model is given: a command's params schema reduced to the params a model may set
 * (required ones stay required), plus a `node` parameter whose enum is the nodes offering the command.
 * Plain JSON (TypeBox's symbol keys and `$id`s dropped), so it serialises into any provider's request.
 */
import type { TSchema } from '@sinclair/typebox';

export interface JsonSchemaObject {
  type: 'object';
  properties: Record<string, unknown>;
  required?: string[];
  additionalProperties: false;
}

function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (key !== '$id') out[key] = plain(inner);
  return out;
}

/** The object schema of `params`, keeping only `exposed` properties (all when absent). */
export function modelParameters(params: TSchema, exposed?: readonly string[]): JsonSchemaObject {
  const schema = plain(params) as { properties?: Record<string, unknown>; required?: string[] };
  const keys = Object.keys(schema.properties ?? {}).filter((key) => exposed === undefined || exposed.includes(key));
  const properties = Object.fromEntries(keys.map((key) => [key, schema.properties![key]]));
  const required = (schema.required ?? []).filter((key) => keys.includes(key));
  return { type: 'object', properties, ...(required.length > 0 && { required }), additionalProperties: false };
}

/** Adds `node`: an enum of `labels`, required when there is more than one to choose from. */
export function withNodeParameter(schema: JsonSchemaObject, labels: readonly string[], description: string): JsonSchemaObject {
  const properties = { node: { type: 'string', enum: [...labels], description }, ...schema.properties };
  const required = labels.length > 1 ? ['node', ...(schema.required ?? [])] : schema.required;
  return { type: 'object', properties, ...(required && required.length > 0 && { required }), additionalProperties: false };
}

/** `tether config schema`: tether.json's JSON Schema, generated from the zod schema the gateway validates with. */
import { z } from 'zod';
import { GatewayFileSchema } from '../config.js';

export function configJsonSchema(): Record<string, unknown> {
  // `input`: what a person writes (before defaults and transforms); refinements have no JSON Schema form.
  const schema = z.toJSONSchema(GatewayFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://tether.dev/schema/tether.json',
    title: 'tether.json',
    description: 'Tether gateway configuration (JSON5). Strings may use ${NAME} for an environment variable ($${ for a literal ${); "$include" merges other files of the state dir.',
    properties: { $include: { description: 'a file or list of files (relative to this one, inside the state dir) merged under this object', anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }, ...properties },
  };
}

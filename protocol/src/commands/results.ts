/**
 * The one check of a node's answer against the result schema of the command it was asked to run.
 * A node is another party: its result is input from outside, so whoever consumes it (the gateway
 * before relaying, the CLI before printing or saving) asks here first, and they agree on what is valid.
 *
 * Open where the protocol is open, closed where it matters: OpenClaw nodes add fields of their own, so
 * unknown properties pass at every level; wrong types, missing fields, out-of-range numbers and formats
 * outside the schema's literals do not. Commands with no schema here (OpenClaw's own) pass unchecked.
 */
import type { TSchema } from '@sinclair/typebox';
import { safeLabel } from '../display.js';
import { DetailCode } from '../errors.js';
import { createValidator, type Validator } from '../validate.js';
import { CAMERA_COMMANDS } from './camera.js';
import { LOCATION_COMMANDS } from './location.js';
import { NOTIFY_COMMANDS } from './notify.js';
import { SCREEN_COMMANDS } from './screen.js';
import { SYSTEM_COMMANDS } from './system.js';

/** The stable code for a refused node result (use it as `details.code` or a CLI error code). */
export const INVALID_NODE_RESULT = DetailCode.INVALID_NODE_RESULT;

/** `ok`, or why not in one terminal-safe line (at most REASON_MAX characters, no remote values echoed). */
export type CommandResultCheck = { ok: true } | { ok: false; reason: string };

const REASON_MAX = 300;

// A Map, not an object: a command named "toString" or "__proto__" must not find a schema.
const RESULT_SCHEMAS: ReadonlyMap<string, TSchema> = new Map(
  Object.entries({ ...SYSTEM_COMMANDS, ...CAMERA_COMMANDS, ...SCREEN_COMMANDS, ...LOCATION_COMMANDS, ...NOTIFY_COMMANDS }).map(([command, spec]) => [
    command,
    spec.result,
  ]),
);

/** Commands whose results carry captured media (inline base64, a gateway media id, or a node URL). */
export const MEDIA_RESULT_COMMANDS: ReadonlySet<string> = new Set(['camera.snap', 'camera.clip', 'screen.snapshot', 'screen.record']);

// Standard base64; line breaks are tolerated because some platform encoders wrap at 76 columns. The
// padding group must start with "=", so a failing match never backtracks over the line breaks twice
// (the gateway runs this on payloads of megabytes).
const BASE64 = /^[A-Za-z0-9+/\r\n]*(?:={1,2}[\r\n]*)?$/;

/**
 * A JSON copy of `schema` that accepts extra properties everywhere. `$id`s are dropped so the copy
 * never collides in Ajv with the strict schema it came from (the node validates params with those).
 */
function openCopy(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(openCopy);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$id') continue;
    // Under these keys the names are property names, not schema keywords.
    const named = (key === 'properties' || key === 'patternProperties') && typeof value === 'object' && value !== null;
    copy[key] = named ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, openCopy(sub)])) : openCopy(value);
  }
  if (copy.type === 'object' && copy.additionalProperties === false) copy.additionalProperties = true;
  return copy;
}

/**
 * Fields this protocol requires but other implementations leave out, by command, as paths through the
 * result (array levels are stepped over). OpenClaw's camera.list devices have no `backend`, and its
 * system.notify answer is not documented, so only the types of those fields are checked.
 */
const OPTIONAL_FOR_COMPATIBILITY: Readonly<Record<string, readonly (readonly string[])[]>> = {
  'camera.list': [['devices', 'backend']],
  'system.notify': [['delivered'], ['backend']],
};

function makeOptional(schema: Record<string, unknown>, path: readonly string[]): void {
  let node = schema;
  for (const [index, name] of path.entries()) {
    while (node.type === 'array' && typeof node.items === 'object' && node.items !== null) node = node.items as Record<string, unknown>;
    if (index === path.length - 1) {
      if (Array.isArray(node.required)) node.required = node.required.filter((field) => field !== name);
      return;
    }
    const next = (node.properties as Record<string, Record<string, unknown>> | undefined)?.[name];
    if (!next) throw new Error(`result schema has no property ${path.join('.')}`);
    node = next;
  }
}

function compileOpen(command: string, schema: TSchema): Validator<unknown> {
  const open = openCopy(schema) as Record<string, unknown>;
  for (const path of Object.hasOwn(OPTIONAL_FOR_COMPATIBILITY, command) ? OPTIONAL_FOR_COMPATIBILITY[command]! : []) makeOptional(open, path);
  return createValidator(open as unknown as TSchema) as Validator<unknown>;
}

const validators = new Map<string, Validator<unknown>>();

function validatorFor(command: string): Validator<unknown> | undefined {
  const schema = RESULT_SCHEMAS.get(command);
  if (!schema) return undefined;
  let validator = validators.get(command);
  if (!validator) {
    validator = compileOpen(command, schema);
    validators.set(command, validator);
  }
  return validator;
}

function refuse(command: string, why: string): CommandResultCheck {
  return { ok: false, reason: safeLabel(`${command} result: ${why}`, REASON_MAX) };
}

/** What the schema cannot say about a media result: it must carry the media somehow, in a sane shape. */
function checkMediaCarrier(command: string, payload: Record<string, unknown>): CommandResultCheck {
  const { base64, mediaId, url } = payload;
  if (base64 === undefined && mediaId === undefined && url === undefined) return refuse(command, 'carries no media (none of base64, mediaId, url)');
  if (typeof base64 === 'string' && !BASE64.test(base64)) return refuse(command, 'base64 is not base64');
  // A Tether gateway's media reference carries a path on that gateway (/media/<id>); newer OpenClaw
  // nodes send an https URL. Nothing else: no plain http, no file:, no protocol-relative //host.
  if (typeof url === 'string' && !/^\/(?!\/)/.test(url)) {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      return refuse(command, 'url is neither a gateway path nor a URL');
    }
    if (protocol !== 'https:') return refuse(command, 'url must be https or a path on the gateway');
  }
  return { ok: true };
}

/** True when this protocol defines a result schema for `command` (so `checkCommandResult` checks it). */
export function hasResultSchema(command: string): boolean {
  return RESULT_SCHEMAS.has(command);
}

/**
 * Checks a node's `payload` for `command`. Never throws. Unknown commands are `ok` (OpenClaw nodes
 * serve commands this protocol has no schema for); the caller decides what else to trust.
 */
export function checkCommandResult(command: string, payload: unknown): CommandResultCheck {
  const validator = validatorFor(command);
  if (!validator) return { ok: true };
  if (!validator.check(payload)) return refuse(command, validator.lastError());
  if (MEDIA_RESULT_COMMANDS.has(command)) return checkMediaCarrier(command, payload as Record<string, unknown>);
  return { ok: true };
}

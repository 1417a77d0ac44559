/**
 * Paths into the config document for `tether config get|set|unset`: dotted keys with array indexes,
 * `channels.telegram.allowFrom[0]`. Segments that could reach an object's prototype are refused.
 */
import { isPlainObject } from './include.js';

export type PathSegment = string | number;

export class ConfigPathError extends Error {
  readonly code = 'CONFIG_PATH_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigPathError';
  }
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const KEY = /^[A-Za-z0-9_$-]+$/;
const MAX_INDEX = 10_000;

export function parseConfigPath(path: string): PathSegment[] {
  if (path.length === 0 || path.length > 512) throw new ConfigPathError('give a config path such as gateway.port or channels.telegram.allowFrom[0]');
  const segments: PathSegment[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|(\.)/gy;
  let expectKey = true;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = pattern.exec(path)) !== null) {
    consumed = pattern.lastIndex;
    if (match[3] !== undefined) {
      if (expectKey) throw new ConfigPathError(`"${path}" has an empty key (".." or a leading "."); write keys like gateway.port`);
      expectKey = true;
    } else if (match[2] !== undefined) {
      if (expectKey && segments.length > 0) throw new ConfigPathError(`"${path}": an index follows a key, as in allowFrom[0]`);
      const index = Number(match[2]);
      if (segments.length === 0 || index > MAX_INDEX) throw new ConfigPathError(`"${path}": an index must follow a key and be at most ${MAX_INDEX}`);
      segments.push(index);
      expectKey = false;
    } else {
      const key = match[1]!;
      if (!expectKey) throw new ConfigPathError(`"${path}": put a "." between keys`);
      if (FORBIDDEN.has(key)) throw new ConfigPathError(`"${path}": "${key}" is not a config key (refused: it could reach an object's prototype)`);
      if (!KEY.test(key)) throw new ConfigPathError(`"${path}": "${key}" is not a config key (letters, digits, _, - and $ only)`);
      segments.push(key);
      expectKey = false;
    }
  }
  if (consumed !== path.length || expectKey) throw new ConfigPathError(`"${path}" is not a config path; write keys like gateway.port or channels.telegram.allowFrom[0]`);
  return segments;
}

export function formatConfigPath(segments: readonly PathSegment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function own(container: unknown, segment: PathSegment): unknown {
  if (typeof segment === 'number') return Array.isArray(container) ? container[segment] : undefined;
  return isPlainObject(container) && Object.prototype.hasOwnProperty.call(container, segment) ? container[segment] : undefined;
}

export function getAtPath(document: unknown, segments: readonly PathSegment[]): unknown {
  let current = document;
  for (const segment of segments) {
    current = own(current, segment);
    if (current === undefined) return undefined;
  }
  return current;
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** A copy of `document` with `value` at the path; missing objects are created, an index may append. */
export function setAtPath(document: Record<string, unknown>, segments: readonly PathSegment[], value: unknown): Record<string, unknown> {
  const root = clone(document);
  let container: unknown = root;
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    const at = formatConfigPath(segments.slice(0, i + 1));
    if (typeof segment === 'number') {
      if (!Array.isArray(container)) throw new ConfigPathError(`${formatConfigPath(segments.slice(0, i))} is not a list, so ${at} cannot be set`);
      if (segment > container.length) throw new ConfigPathError(`${at} is past the end of the list (it has ${container.length}); use index ${container.length} to append`);
      if (last) container[segment] = value;
      else {
        if (container[segment] === undefined) container[segment] = typeof segments[i + 1] === 'number' ? [] : {};
        container = container[segment];
      }
      return;
    }
    if (!isPlainObject(container)) throw new ConfigPathError(`${formatConfigPath(segments.slice(0, i))} is not an object, so ${at} cannot be set`);
    if (last) {
      Object.defineProperty(container, segment, { value, enumerable: true, writable: true, configurable: true });
    } else {
      if (own(container, segment) === undefined) Object.defineProperty(container, segment, { value: typeof segments[i + 1] === 'number' ? [] : {}, enumerable: true, writable: true, configurable: true });
      container = container[segment];
    }
  });
  return root;
}

/** A copy of `document` without the path, or undefined when nothing is there. */
export function unsetAtPath(document: Record<string, unknown>, segments: readonly PathSegment[]): Record<string, unknown> | undefined {
  if (getAtPath(document, segments) === undefined) return undefined;
  const root = clone(document);
  const parent = getAtPath(root, segments.slice(0, -1)) ?? (segments.length === 1 ? root : undefined);
  const last = segments[segments.length - 1]!;
  if (typeof last === 'number' && Array.isArray(parent)) parent.splice(last, 1);
  else if (typeof last === 'string' && isPlainObject(parent)) delete parent[last];
  else return undefined;
  return root;
}

/**
 * Session keys, shaped like OpenClaw's: `agent:<agentId>:<rest>` (`agent:main:main`,
 * `agent:main:telegram:dm:12345`). A key comes from callers (a chat peer id, a CLI flag), so it is
 * validated here and never used as a file name: transcripts are named by a generated session id.
 */
const SESSION_KEY = /^agent:([a-z0-9][a-z0-9_-]{0,63}):([A-Za-z0-9._@+-]{1,128}(?::[A-Za-z0-9._@+-]{1,128}){0,7})$/;

export const MAIN_SESSION_KEY = 'agent:main:main';

export interface ParsedSessionKey {
  agentId: string;
  rest: string;
}

export class SessionKeyError extends Error {
  readonly code = 'INVALID_SESSION_KEY';
}

export function parseSessionKey(key: string): ParsedSessionKey {
  const match = SESSION_KEY.exec(key);
  if (!match) {
    throw new SessionKeyError(
      `invalid session key ${JSON.stringify(key.slice(0, 80))}: use agent:<agent>:<name>, e.g. ${MAIN_SESSION_KEY} or agent:main:telegram:dm:12345 (letters, digits and . _ @ + - only)`,
    );
  }
  return { agentId: match[1]!, rest: match[2]! };
}

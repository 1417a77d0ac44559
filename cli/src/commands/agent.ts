/**
 * `tether agent -m …` (one run) and `tether chat` (a line-based session): talk to the gateway's embedded
 * agent, streaming its reply and each tool step as it happens. Thin: `agent-run.ts` follows the run and
 * `views/agent-view.ts` renders it. Ctrl-C aborts the run (`chat.abort`); a second Ctrl-C quits.
 */
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { isRecord, type AgentEvent, type GatewayClient } from '@tether/protocol';
import {
  agentParams,
  AsyncQueue,
  EXIT_INTERRUPTED,
  renderRun,
  runOutcome,
  sendAgentRequest,
  type RunResult,
  type RunSignal,
} from '../agent-run.js';
import { action } from '../command-kit.js';
import { withGateway, type ConnectionExtras, type ConnectionFlags } from '../gateway-target.js';
import { CliError, printJson, printLines, printNote, reportError, usageError, writeStream } from '../output.js';
import { chatHelpLines, resetView, type SessionsListResult, type SessionsResetResult } from '../views/sessions-view.js';

export const DEFAULT_SESSION_KEY = 'agent:main:main';
const SCOPES = ['operator.read', 'operator.write'] as const;
/** `tether chat` also offers /reset, which OpenClaw's gateway counts as an admin method. */
/** How long to wait for the gateway's final answer after an abort before giving up on it. */
const ABORT_GRACE_MS = 5_000;

/** Connection flags for the agent commands: `--timeout` here is the run's limit in seconds, so the gateway wait is `--connect-timeout`. */
function agentConnectionOptions(command: Command): Command {
  return command
    .option('--session <key>', 'session key (default: the main session, agent:main:main)')
    .option('--timeout <s>', "the run's time limit in seconds (default: the gateway's agent.timeoutSeconds)")
    .option('--url <url>', 'gateway WebSocket URL (default: the local gateway)')
    .option('--token <token>', 'gateway token (default: TETHER_GATEWAY_TOKEN, or the local state dir)')
    .option('--connect-timeout <ms>', 'how long to wait for the gateway to answer, in milliseconds')
    .option('--state-dir <dir>', 'gateway state directory (default: TETHER_STATE_DIR or ~/.tether)');
}

export function parseRunTimeout(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const s = Number(value);
  if (!Number.isInteger(s) || s <= 0 || s > 86_400) throw usageError(`--timeout takes seconds as a whole number from 1 to 86400, got "${String(value)}"`);
  return s;
}

function connectionFlags(flags: ConnectionFlags & Record<string, unknown>): ConnectionFlags {
  return { url: flags.url, token: flags.token, stateDir: flags.stateDir, json: flags.json, timeout: flags.connectTimeout as string | undefined };
}

/** One run being followed: its signal queue and what is known for aborting it. */
export interface Turn {
  signals: AsyncQueue<RunSignal>;
  runId?: string;
  sessionKey?: string;
  interrupted: boolean;
  graceTimer?: NodeJS.Timeout;
}

function newTurn(sessionKey?: string): Turn {
  return { signals: new AsyncQueue<RunSignal>(), sessionKey, interrupted: false };
}

/** Routes the connection's `agent` events to whichever turn is current. */
function eventRouter(current: () => Turn | undefined): ConnectionExtras {
  return {
    caps: ['tool-events'],
    onEvent: (event, payload) => {
      if (event === 'agent' && isRecord(payload)) current()?.signals.push({ kind: 'event', event: payload as AgentEvent });
    },
  };
}

async function abortTurn(client: GatewayClient, turn: Turn, fallbackSession: string): Promise<void> {
  turn.interrupted = true;
  printNote('aborting the run (press Ctrl-C again to quit)');
  const params: Record<string, string> = { sessionKey: turn.sessionKey ?? fallbackSession };
  if (turn.runId) params.runId = turn.runId;
  // Whatever the gateway answers, stop waiting for the run's final answer after a grace period.
  turn.graceTimer = setTimeout(() => turn.signals.push({ kind: 'error', error: new CliError('aborted', EXIT_INTERRUPTED) }), ABORT_GRACE_MS);
  turn.graceTimer.unref();
  try {
    await client.request('chat.abort', params);
  } catch (error) {
    printNote(`the gateway did not abort the run: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function followTurn(client: GatewayClient, turn: Turn, params: ReturnType<typeof agentParams>, json: boolean): Promise<RunResult> {
  sendAgentRequest(client, params, turn.signals);
  try {
    return await renderRun(turn.signals, json ? () => undefined : writeStream, {
      runIds: [params.idempotencyKey],
      onRunInfo: (info) => {
        turn.runId = info.runId ?? turn.runId;
        turn.sessionKey ??= info.sessionKey;
      },
    });
  } finally {
    clearTimeout(turn.graceTimer);
  }
}

/** Tells the person how the run ended and returns the exit code; `throwErrors` hands gateway errors to the action wrapper. */
function finishTurn(result: RunResult, turn: Turn, json: boolean, throwErrors: boolean): number {
  const outcome = runOutcome(result, turn.interrupted);
  // With --json the final payload is the whole answer: its status says how the run ended.
  if (json && result.final) printJson(result.final);
  if (outcome.error !== undefined) {
    if (throwErrors) throw outcome.error;
    reportError(outcome.error, json);
  } else if (outcome.message !== undefined) {
    if (outcome.code === EXIT_INTERRUPTED) printNote(outcome.message);
    else if (!json) reportError(new CliError(outcome.message, outcome.code), false);
  }
  return outcome.code;
}

async function defaultSessionKey(client: GatewayClient): Promise<string> {
  try {
    const list = await client.request<SessionsListResult>('sessions.list', {});
    const key = isRecord(list) && isRecord(list.defaults) ? list.defaults.mainSessionKey : undefined;
    return typeof key === 'string' && key !== '' ? key : DEFAULT_SESSION_KEY;
  } catch {
    return DEFAULT_SESSION_KEY;
  }
}

export function agentCommand(): Command {
  return agentConnectionOptions(
    new Command('agent')
      .description("send one message to the gateway's agent and stream its reply and tool steps")
      .requiredOption('-m, --message <text>', 'the message')
      .option('--json', 'print only the final result, as JSON'),
  ).action(
    action(async (flags) => {
      const message = String(flags.message);
      if (message.trim() === '') throw usageError('--message is empty');
      const json = flags.json === true;
      const session = flags.session === undefined ? undefined : String(flags.session);
      const params = agentParams({ message, sessionKey: session, timeoutS: parseRunTimeout(flags.timeout) });
      let turn: Turn | undefined;
      return withGateway(
        connectionFlags(flags),
        [...SCOPES],
        async (client) => {
          const current = newTurn(session);
          turn = current;
          const onSigint = () => {
            if (current.interrupted) process.exit(EXIT_INTERRUPTED);
            void abortTurn(client, current, session ?? DEFAULT_SESSION_KEY);
          };
          process.on('SIGINT', onSigint);
          try {
            const result = await followTurn(client, current, params, json);
            return finishTurn(result, current, json, true);
          } finally {
            process.off('SIGINT', onSigint);
          }
        },
        eventRouter(() => turn),
      );
    }),
  );
}

export interface ChatSessionOptions {
  /** Where lines come from (process.stdin for the command). */
  input: NodeJS.ReadableStream;
  sessionKey: string;
  timeoutS?: number;
  /** Sets the turn the connection's events go to. */
  setTurn: (turn: Turn | undefined) => void;
}

/** The `tether chat` loop: one run per line, /reset, /exit; Ctrl-C aborts a run, a second one quits. Returns the exit code. */
export async function chatSession(client: GatewayClient, options: ChatSessionOptions): Promise<number> {
  const { sessionKey, timeoutS } = options;
  // Piped input gets no prompts and no line editing: the output is then just the replies.
  const interactive = (options.input as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({ input: options.input, output: process.stdout, terminal: interactive });
  let turn: Turn | undefined;
  let exitCode = 0;
  const onSigint = () => {
    const current = turn;
    if (current && !current.interrupted) {
      void abortTurn(client, current, sessionKey);
      return;
    }
    if (current) process.exit(EXIT_INTERRUPTED);
    exitCode = EXIT_INTERRUPTED;
    rl.close();
  };
  rl.on('SIGINT', onSigint);
  process.on('SIGINT', onSigint);
  if (interactive) printLines(chatHelpLines(sessionKey));
  const prompt = () => {
    if (interactive) rl.prompt();
  };
  rl.setPrompt('you> ');
  prompt();
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === '/exit' || line === '/quit') break;
      if (line === '/reset') {
        try {
          printLines(resetView(await client.request<SessionsResetResult>('sessions.reset', { key: sessionKey }), sessionKey));
        } catch (error) {
          reportError(error, false);
        }
      } else if (line.startsWith('/')) {
        printLines(['Commands: /reset (start the session over), /exit']);
      } else if (line !== '') {
        const current = newTurn(sessionKey);
        turn = current;
        options.setTurn(current);
        const result = await followTurn(client, current, agentParams({ message: raw, sessionKey, timeoutS }), false);
        turn = undefined;
        options.setTurn(undefined);
        finishTurn(result, current, false, false);
        if (client.state !== 'connected') throw new CliError('the connection to the gateway closed; run `tether chat` again to continue the session');
      }
      prompt();
    }
  } finally {
    process.off('SIGINT', onSigint);
    rl.close();
  }
  return exitCode;
}

export function chatCommand(): Command {
  return agentConnectionOptions(new Command('chat').description("an interactive session with the gateway's agent (/reset, /exit; Ctrl-C aborts a run)")).action(
    action(async (flags) => {
      const timeoutS = parseRunTimeout(flags.timeout);
      let turn: Turn | undefined;
      return withGateway(
        connectionFlags(flags),
        [...SCOPES],
        async (client) => {
          const sessionKey = flags.session === undefined ? await defaultSessionKey(client) : String(flags.session);
          return chatSession(client, { input: process.stdin, sessionKey, timeoutS, setTurn: (next) => (turn = next) });
        },
        eventRouter(() => turn),
      );
    }),
  );
}

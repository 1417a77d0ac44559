/**
 * Agent: the embedded agent's chat. Pick a session (sessions.list) or start one, read its transcript
 * (chat.history), send a message (chat.send) and watch the answer stream in (`chat` deltas) with each
 * tool step as it runs (the `agent` event's tool stream, which reaches only the connection that
 * started the run and asked for the `tool-events` cap; without it a step appears once the transcript
 * holds it), its node, command, duration, status and the image it returned; Abort (chat.abort) stops
 * the run. With no model configured, the gateway's own message says how to configure one.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { label } from '../text.js';
import { useGatewayEvent, useLoaded, type UiContext } from '../ui-context.js';
import { idempotencyKey, isNotConfigured, newSessionKey, nextRun, nextToolStep, type ChatMessage, type LiveRun, type LiveToolStep, type SessionRow } from './agent-run.js';
import { Transcript } from './agent-transcript.js';

const MAIN = 'agent:main:main';
/** While a run streams, the transcript is read again at most this often (its tool steps land there). */
const HISTORY_REFRESH_MS = 1_000;
/** Tool steps whose live details (command, duration) the page remembers. */
const MAX_LIVE_STEPS = 500;

interface SessionsList {
  sessions: SessionRow[];
  defaults?: { mainSessionKey?: string };
}

function sessionTitle(key: string): string {
  return key.startsWith('agent:main:') ? key.slice('agent:main:'.length) : key;
}

export function AgentView(props: { ctx: UiContext }) {
  const { ctx } = props;
  const readDenied = ctx.denied('operator.read');
  const writeDenied = ctx.denied('operator.write');
  const [sessions, reloadSessions] = useLoaded<SessionRow[]>(
    ctx,
    () => (ctx.scopes.has('operator.read') ? ctx.socket.request<SessionsList>('sessions.list', { limit: 200 }).then((list) => list.sessions) : Promise.resolve([])),
    [],
    [],
  );
  const [sessionKey, setSessionKey] = useState(MAIN);
  const [started, setStarted] = useState<string[]>([]);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [run, setRun] = useState<LiveRun | undefined>();
  const [steps, setSteps] = useState<Map<string, LiveToolStep>>(new Map());
  const [draft, setDraft] = useState('');
  const [sending, setSending] = useState(false);
  const [notConfigured, setNotConfigured] = useState<string | undefined>();
  const keyRef = useRef(sessionKey);
  keyRef.current = sessionKey;
  const refresh = useRef<{ timer?: number; last: number }>({ last: 0 });

  const loadHistory = (key = keyRef.current): Promise<void> => {
    if (!ctx.scopes.has('operator.read')) return Promise.resolve();
    return ctx.socket.request<{ messages: ChatMessage[] }>('chat.history', { sessionKey: key, limit: 200 }).then(
      (history) => {
        if (keyRef.current === key) setMessages(history.messages);
      },
      (failure: unknown) => ctx.report(failure),
    );
  };

  // A new session, a reconnect: read the transcript again, and pick up a run still going there.
  useEffect(() => {
    setMessages([]);
    setRun(undefined);
    void loadHistory(sessionKey);
    return ctx.onReady(() => void loadHistory());
  }, [ctx, sessionKey]);
  useEffect(() => {
    const row = sessions.find((session) => session.key === sessionKey);
    if (row?.lastRun && row.lastRun.endedAt === undefined && row.lastRun.status === 'running') {
      setRun((current) => current ?? { runId: row.lastRun!.runId, sessionKey, state: 'running', text: '', toolOrder: [] });
    }
  }, [sessions, sessionKey]);

  const refreshSoon = () => {
    const state = refresh.current;
    if (state.timer !== undefined) return;
    const wait = Math.max(0, state.last + HISTORY_REFRESH_MS - Date.now());
    state.timer = window.setTimeout(() => {
      state.timer = undefined;
      state.last = Date.now();
      void loadHistory();
    }, wait);
  };
  useEffect(() => () => window.clearTimeout(refresh.current.timer), []);

  // Events can arrive faster than renders: the latest run and steps are kept in refs as well.
  const runRef = useRef(run);
  runRef.current = run;
  const stepsRef = useRef(steps);
  stepsRef.current = steps;
  useGatewayEvent(ctx, (event, payload) => {
    if (event !== 'chat' && event !== 'agent') return;
    const step = nextToolStep(stepsRef.current, event, payload);
    if (step) {
      const next = new Map(stepsRef.current).set(step.toolCallId, step);
      // Bounded: a page left open for days keeps only the latest steps' live details.
      for (const id of next.keys()) {
        if (next.size <= MAX_LIVE_STEPS) break;
        next.delete(id);
      }
      stepsRef.current = next;
      setSteps(next);
    }
    const next = nextRun(runRef.current, event, payload, keyRef.current);
    if (!next) return;
    runRef.current = next;
    setRun(next);
    if (event !== 'chat') return;
    if (next.state === 'running') refreshSoon();
    else {
      // The run ended: the transcript now holds the answer (and its tool steps); show it from there.
      void loadHistory().then(() => setRun((current) => (current && current.runId === next.runId && current.state === 'final' ? undefined : current)));
      reloadSessions();
    }
  });

  const send = () => {
    const message = draft.trim();
    if (!message || sending) return;
    setSending(true);
    const key = sessionKey;
    ctx.socket
      .request<{ runId: string; status: string }>('chat.send', { sessionKey: key, message, idempotencyKey: idempotencyKey() })
      .then(
        (answer) => {
          setDraft('');
          setNotConfigured(undefined);
          ctx.report(undefined);
          if (answer.status === 'started') setRun((current) => (current && current.runId === answer.runId ? current : { runId: answer.runId, sessionKey: key, state: 'running', text: '', toolOrder: [] }));
          void loadHistory(key);
          reloadSessions();
        },
        (failure: unknown) => {
          if (isNotConfigured(failure)) setNotConfigured(failure instanceof Error ? failure.message : String(failure));
          else ctx.report(failure);
        },
      )
      .finally(() => setSending(false));
  };

  const abort = () => {
    if (!run) return;
    ctx.socket.request('chat.abort', { sessionKey, runId: run.runId }).then(
      () => ctx.report(undefined),
      (failure: unknown) => ctx.report(failure),
    );
  };

  const startSession = () => {
    const key = newSessionKey();
    setStarted((current) => [key, ...current]);
    setSessionKey(key);
  };

  const keys = [...new Set([MAIN, ...started, ...sessions.map((session) => session.key)])];
  const running = run !== undefined && run.state === 'running';
  return html`<section aria-labelledby="agent-heading" class="agent">
    <h2 id="agent-heading">Agent</h2>
    ${readDenied ? html`<p class="muted denied">Reading the agent's sessions ${readDenied}.</p>` : null}
    <div class="session-bar">
      <label>Session <select class="session-pick" value=${sessionKey} onChange=${(e: Event) => setSessionKey((e.target as HTMLSelectElement).value)}>
        ${keys.map((key) => html`<option key=${key} value=${key}>${label(sessionTitle(key), 80)}</option>`)}
      </select></label>
      <button class="new-session" title=${writeDenied} disabled=${writeDenied !== undefined} onClick=${startSession}>New session</button>
    </div>
    ${notConfigured
      ? html`<div class="card not-configured" role="note"><strong>No model is configured.</strong><p>${label(notConfigured, 600)}</p></div>`
      : null}
    ${messages.length === 0 && !run ? html`<p class="muted empty">Nothing said in this session yet.</p>` : null}
    <${Transcript} ctx=${ctx} messages=${messages} live=${steps} run=${run} />
    <form class="composer" onSubmit=${(e: Event) => {
      e.preventDefault();
      send();
    }}>
      <textarea class="message-input" aria-label="message to the agent" rows="3" placeholder="Ask the agent…" value=${draft} disabled=${writeDenied !== undefined}
        onInput=${(e: Event) => setDraft((e.target as HTMLTextAreaElement).value)}
        onKeyDown=${(e: KeyboardEvent) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            send();
          }
        }}></textarea>
      <div class="actions">
        <button type="submit" class="approve send" title=${writeDenied} disabled=${writeDenied !== undefined || sending || running || draft.trim() === ''}>Send</button>
        <button type="button" class="reject abort" title=${writeDenied} disabled=${writeDenied !== undefined || !running} onClick=${abort}>Abort</button>
      </div>
      ${writeDenied ? html`<p class="muted denied">Sending and aborting ${writeDenied}.</p>` : null}
    </form>
  </section>`;
}

/**
 * Run a program on a node (`system.run`): the argv is typed ONE ARGUMENT PER LINE (no quoting rules to
 * learn, and nothing a shell would interpret: the node starts the program directly, and the gateway
 * only forwards the list). An optional cwd. The result shows the exit code, stdout and stderr as text.
 *
 * When the node's exec policy asks an operator first, the node sends `exec.approval.requested` for this
 * exact argv; the panel shows "waiting for approval" with the approval's id until it is answered (in
 * the Approvals view, `tether approvals approve <id>`, or from a chat), then the run's outcome.
 */
import { useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { label, shortId } from '../text.js';
import { useGatewayEvent, type UiContext } from '../ui-context.js';
import { failureOf, invoke, type InvokeFailure } from './invoke-call.js';
import { argvFromLines, outputText } from './invoke-text.js';

/** The program's own deadline on the node (as `tether nodes run --command-timeout`'s default). */
const COMMAND_TIMEOUT_MS = 30_000;

interface RunResult {
  exitCode: number | null;
  timedOut: boolean;
  success: boolean;
  stdout: string;
  stderr: string;
  error: string | null;
  truncated?: boolean;
}

type RunState =
  | { phase: 'idle' }
  | { phase: 'running'; argv: string[] }
  | { phase: 'approval'; argv: string[]; approvalId: string; expiresAtMs: number }
  | { phase: 'done'; argv: string[]; result: RunResult }
  | { phase: 'failed'; argv: string[]; failure: InvokeFailure };

function sameArgv(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((arg, i) => arg === b[i]);
}

function Output(props: { name: string; text: string; truncated: boolean }) {
  const { text, cut } = outputText(props.text);
  return html`<div class=${`stream ${props.name}`}>
    <div class="muted">${props.name}${cut || props.truncated ? html` <span class="truncated">truncated</span>` : null}</div>
    <pre class="output">${text}</pre>
  </div>`;
}

export function RunPanel(props: { ctx: UiContext; nodeId: string }) {
  const { ctx, nodeId } = props;
  const denied = ctx.denied('operator.write');
  const [argvText, setArgvText] = useState('uname\n-s');
  const [cwd, setCwd] = useState('');
  const [state, setState] = useState<RunState>({ phase: 'idle' });
  const current = useRef<RunState>(state);
  current.current = state;

  useGatewayEvent(ctx, (event, payload) => {
    const now = current.current;
    const record = (payload ?? {}) as { id?: unknown; nodeId?: unknown; argv?: unknown; command?: unknown; expiresAtMs?: unknown; decision?: unknown };
    if (event === 'exec.approval.requested' && now.phase === 'running' && record.nodeId === nodeId && record.command === 'system.run' && sameArgv(record.argv, now.argv) && typeof record.id === 'string') {
      setState({ phase: 'approval', argv: now.argv, approvalId: record.id, expiresAtMs: typeof record.expiresAtMs === 'number' ? record.expiresAtMs : 0 });
    }
    if (event === 'exec.approval.resolved' && now.phase === 'approval' && record.id === now.approvalId) {
      // Allowed: the run goes on; denied or expired: the invoke's error follows and is shown.
      setState({ phase: 'running', argv: now.argv });
    }
  });

  const busy = state.phase === 'running' || state.phase === 'approval';
  const argv = argvFromLines(argvText);
  const run = () => {
    const params: Record<string, unknown> = { command: argv, timeoutMs: COMMAND_TIMEOUT_MS };
    if (cwd.trim() !== '') params.cwd = cwd;
    setState({ phase: 'running', argv });
    // The invoke covers an operator's approval (up to the command timeout) and then the run itself.
    invoke(ctx, nodeId, 'system.run', params, COMMAND_TIMEOUT_MS * 2 + 2_000).then(
      (payload) => setState({ phase: 'done', argv, result: payload as RunResult }),
      (error: unknown) => setState({ phase: 'failed', argv, failure: failureOf(error) }),
    );
  };

  return html`<form class="invoke-run" onSubmit=${(event: Event) => (event.preventDefault(), !busy && argv.length > 0 && run())}>
    <h4>Run a program <code>system.run</code></h4>
    <label>Program and arguments, one per line (no shell: nothing is expanded or quoted)
      <textarea class="argv" rows="3" spellcheck=${false} autocapitalize="off" value=${argvText} onInput=${(event: Event) => setArgvText((event.target as HTMLTextAreaElement).value)}></textarea>
    </label>
    <label>Working directory on the node (optional)
      <input class="cwd" type="text" spellcheck=${false} autocapitalize="off" value=${cwd} onInput=${(event: Event) => setCwd((event.target as HTMLInputElement).value)} />
    </label>
    <div class="actions">
      <button class="run" type="submit" title=${denied} disabled=${denied !== undefined || busy || argv.length === 0 || argv[0] === ''}>Run</button>
    </div>
    ${denied ? html`<p class="muted denied">Running programs ${denied}.</p>` : null}
    <div class="run-result" aria-live="polite" data-phase=${state.phase}>
      ${state.phase === 'running' ? html`<p class="muted">Running…</p>` : null}
      ${state.phase === 'approval'
        ? html`<p class="waiting">Waiting for approval <code>${shortId(state.approvalId)}</code>: answer it in Approvals or with <code>tether approvals approve ${label(state.approvalId, 40)}</code>. It runs only if approved.</p>`
        : null}
      ${state.phase === 'failed'
        ? html`<p class="error invoke-error"><code class="error-code">${label(state.failure.code, 40)}</code> ${label(state.failure.message, 600)}</p>`
        : null}
      ${state.phase === 'done'
        ? html`<div>
            <p>Exit code <strong class="exit-code">${state.result.exitCode === null ? 'none' : String(state.result.exitCode)}</strong>${state.result.timedOut ? ' (timed out)' : ''}${state.result.error ? html` · <span class="run-error">${label(state.result.error, 300)}</span>` : null}</p>
            <${Output} name="stdout" text=${state.result.stdout} truncated=${state.result.truncated === true} />
            <${Output} name="stderr" text=${state.result.stderr} truncated=${state.result.truncated === true} />
          </div>`
        : null}
    </div>
  </form>`;
}

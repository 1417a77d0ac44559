/**
 * The Control UI's Approvals view in a real Chromium, against a real gateway and a real node whose exec
 * policy says ask=on-miss: a `tether nodes run` waits on an approval, which appears in the page without
 * a reload (the tab badged), its argv with a hostile argument shown as text, one shell-quoted argument
 * per item. Approve once runs the command exactly once; Deny refuses it and nothing runs; an argv too
 * long to show whole is deny-only; the history lists what was decided, by whom. The wire contract of
 * exec.approval.history (scope, params, who decided) is checked with scripted clients first.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient, GatewayError, shellQuote, type ExecApprovalHistoryResult, type OperatorScope } from '@tether/protocol';
import { writeExecPolicy } from '../../node-agent/src/exec-policy/policy-file.js';
import { present } from '../../gateway/ui/src/views/approvals-rules.js';
import { sharedToken } from '../helpers/clients.js';
import { CASE_MS, chromiumMissing as missing, launchChromium, logIn, openView, screenshot, WAIT, watchedPage } from '../helpers/control-ui.js';
import { cleanup, ownerTokenEnv, runTether, spawnTether, startGatewayProcess, tempDir, type GatewayProcess, type Spawned } from '../helpers/processes.js';

const HOSTILE = '<img src=x onerror=alert(1)>\u001b[31m';

/** How the approval history names the page: the browser device it logged in as. */
const BROWSER_DEVICE = /^device [0-9a-f]{12} · "Control UI" via tether-control-ui$/;
let gateway: GatewayProcess;
let node: Spawned;
const opened: GatewayClient[] = [];
const gw = () => ['--state-dir', gateway.stateDir];

beforeAll(async () => {
  gateway = await startGatewayProcess();
  const nodeDir = tempDir('tether-ui-ask-node-');
  await writeExecPolicy(nodeDir, { version: 1, security: 'allowlist', ask: 'on-miss', allowlist: [] });
  node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'ask-node'], ownerTokenEnv(gateway));
  await node.waitFor(/connected to .* as ask-node/);
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((client) => client.close()));
  await cleanup();
}, CASE_MS);

async function operator(scopes: OperatorScope[], id = 'test') {
  const client = new GatewayClient({
    url: gateway.url,
    token: sharedToken(gateway.stateDir),
    role: 'operator',
    scopes,
    client: { id, mode: 'test', version: 'test', platform: 'linux', displayName: `${id} <b>` },
  });
  await client.connect();
  opened.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** `tether nodes run` on ask-node, which asks for an approval and waits. */
function askToRun(argv: string[], cwd?: string): Spawned {
  return spawnTether(['nodes', 'run', '--node', 'ask-node', ...(cwd ? ['--cwd', cwd] : []), ...gw(), '--', ...argv]);
}

describe("the approvals view's rules (gateway/ui/src/views/approvals-rules.ts), as chat-approvals'", () => {
  const approval = (argv: string[], resolvedPath = '/usr/bin/touch', cwd?: string) => ({ id: 'x', nodeId: 'n'.repeat(64), command: 'system.run', argv, resolvedPath, ...(cwd ? { cwd } : {}), createdAtMs: 0, expiresAtMs: 1 });

  it('quotes each argument, escapes control and format characters, and names the node', () => {
    const shown = present({ ...approval(['touch', 'a b', HOSTILE, 'x\u2028y']), displayName: 'pi\u202e' });
    expect(shown.args).toEqual(['touch', "'a b'", "$'<img src=x onerror=alert(1)>\\x1b[31m'", "$'x\\u{2028}y'"]);
    expect(shown.line).toBe(shown.args.join(' '));
    expect(shown.node).toBe(`pi\\u{202e} (${'n'.repeat(12)})`);
    expect(shown.cwd).toBe('(its default folder)');
    expect(shown).toMatchObject({ cut: false, noAlways: false });
  });

  it('offers no Always for shells and interpreters, by program or by argv[0]', () => {
    for (const [argv0, path] of [['sh', '/bin/sh'], ['python3', '/usr/bin/python3.11'], ['env', '/usr/bin/env'], ['./x', '/usr/bin/bash'], ['sudo', '/usr/bin/sudo']] as const) {
      expect(present(approval([argv0, '-c', 'id'], path)).noAlways, argv0).toBe(true);
    }
    expect(present(approval(['mktemp'], '/usr/bin/mktemp')).noAlways).toBe(false);
  });

  it('anything too long to show whole is cut, and then deny-only', () => {
    expect(present(approval(['echo', 'x'.repeat(5_000)])).cut).toBe(true);
    expect(present(approval(['echo', ...Array.from({ length: 65 }, () => 'a')])).cut).toBe(true);
    expect(present(approval(['echo'], `/${'p'.repeat(600)}`)).cut).toBe(true);
    expect(present(approval(['echo'], '/bin/echo', `/${'c'.repeat(600)}`)).cut).toBe(true);
    // Escapes count: 1,000 ESC characters are 4,000 characters shown.
    expect(present(approval(['echo', '\u001b'.repeat(1_000)])).cut).toBe(true);
    // A short folder of zero-width characters escapes to more than is shown: its hidden tail must not be approvable.
    const hidden = `/home/me/${'\u200b'.repeat(64)}/../../../../root/.ssh`;
    expect(hidden.length).toBeLessThan(512);
    expect(present(approval(['rm', '-f', 'id_ed25519'], '/bin/rm', hidden)).cut).toBe(true);
  });
});

describe('exec.approval.history on the wire', () => {
  it('needs operator.approvals, refuses bad params, and says who decided', async () => {
    const reader = await operator(['operator.read']);
    expect(await failure(reader.request('exec.approval.history', {}))).toMatchObject({ code: 'FORBIDDEN', message: 'missing scope: operator.approvals' });
    const approver = await operator(['operator.approvals'], 'wire-approver');
    for (const params of [{ limit: 0 }, { limit: 201 }, { limit: '5' }, { limit: 1.5 }, { since: 0 }]) {
      const error = await failure(approver.request('exec.approval.history', params));
      expect(error, JSON.stringify(params)).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'INVALID_PARAMS' } });
    }
    const run = askToRun(['mkdir', join(tempDir(), 'wire-denied')]);
    const approval = await (async () => {
      for (;;) {
        const { approvals } = await approver.request<{ approvals: { id: string }[] }>('exec.approval.list', {});
        if (approvals[0]) return approvals[0];
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await approver.request('exec.approval.resolve', { id: approval.id, decision: 'deny' });
    expect(await run.exited).toBe(1);
    const history = await approver.request<ExecApprovalHistoryResult>('exec.approval.history', { limit: 1 });
    expect(history.limit).toBe(200);
    expect(history.entries).toHaveLength(1);
    expect(history.entries[0]).toMatchObject({ id: approval.id, decision: 'deny', reason: 'operator', displayName: 'ask-node', decidedBy: 'shared token · "wire-approver <b>" via wire-approver' });

    // The CLI shows the same history.
    const table = await runTether(['approvals', 'history', ...gw()]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/WHEN\s+OUTCOME\s+BY\s+NODE\s+COMMAND/);
    expect(table.stdout).toMatch(/denied\s+shared token · "wire-approver <b>" via wire-approver\s+ask-node\s+mkdir \/tmp\/\S+\/wire-denied/);
    expect((await runTether(['approvals', 'history', '--limit', '0', ...gw()])).code).not.toBe(0);
  }, CASE_MS);
});

describe.skipIf(missing !== undefined)(`the Approvals view in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: Browser;
  let page: Page;
  let dialogs: string[];
  let errors: string[];

  beforeAll(async () => {
    browser = await launchChromium();
    ({ page, dialogs, errors } = await watchedPage(browser));
    await logIn(page, gateway);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('an approval appears live with its hostile argument as text; Approve once runs the command exactly once', async () => {
    const workDir = tempDir('tether-ui-ask-cwd-');
    // mktemp makes a new file on every run: the number of files says how many times it ran.
    const argv = ['mktemp', '-p', workDir, `${HOSTILE}XXXXXX`];
    await openView(page, 'Approvals');
    const run = askToRun(argv, workDir);
    const card = page.locator('li.approval');
    await card.waitFor(WAIT);
    await expect.poll(() => page.getByRole('navigation').getByRole('button', { name: /^Approvals/ }).textContent(), WAIT).toBe('Approvals (1)');
    expect(await card.locator('.node').textContent()).toMatch(/^ask-node \([0-9a-f]{12}\)$/);
    expect(await card.locator('.arg').allTextContents()).toEqual(argv.map(shellQuote));
    expect(await card.locator('.arg').nth(3).textContent()).toBe("$'<img src=x onerror=alert(1)>\\x1b[31mXXXXXX'");
    expect(await card.locator('.cwd').textContent()).toBe(workDir);
    expect(await card.locator('.program').textContent()).toMatch(/\/mktemp$/);
    expect(await card.locator('.left').textContent()).toMatch(/^\d+ s left$/);
    expect(await card.locator('.always-note').textContent()).toMatch(/with any arguments on ask-node \([0-9a-f]{12}\), from now on/);
    expect(await card.locator('.actions button').allTextContents()).toEqual(['Approve once', 'Always allow mktemp', 'Deny']);
    // The hostile argument stayed text: no element made of it, no script ran.
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await screenshot(page, 'control-ui-approvals.png', 'Approvals');

    await card.locator('button.approve').click();
    await card.waitFor({ state: 'detached', ...WAIT });
    expect(await run.exited).toBe(0);
    const made = readdirSync(workDir);
    expect(made).toHaveLength(1);
    expect(made[0]!.startsWith(HOSTILE)).toBe(true);
    await expect.poll(() => page.getByRole('navigation').getByRole('button', { name: /^Approvals/ }).textContent(), WAIT).toBe('Approvals');
    const decided = page.locator('li.decided').first();
    await expect.poll(() => decided.getAttribute('data-decision'), WAIT).toBe('allow-once');
    expect(await decided.locator('.outcome').textContent()).toBe('Approved once');
    // The page answers as the browser device it is (its own key), not on the shared token.
    expect(await decided.locator('.by').textContent()).toMatch(BROWSER_DEVICE);
    expect(await decided.locator('.line').textContent()).toBe(argv.map(shellQuote).join(' '));
  }, CASE_MS);

  it('Deny refuses it and nothing runs; a shell is offered no Always', async () => {
    const target = join(tempDir(), 'denied-dir');
    const run = askToRun(['sh', '-c', 'mkdir "$1"', 'sh', target]);
    const card = page.locator('li.approval');
    await card.waitFor(WAIT);
    expect(await card.locator('.actions button').allTextContents()).toEqual(['Approve once', 'Deny']);
    expect(await card.locator('.always-note').textContent()).toContain('Always is not offered');
    await card.locator('button.deny').click();
    await card.waitFor({ state: 'detached', ...WAIT });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('approval denied by an operator');
    expect(readdirSync(join(target, '..'))).toEqual([]);
    const decided = page.locator('li.decided').first();
    await expect.poll(() => decided.getAttribute('data-decision'), WAIT).toBe('deny');
    expect(await decided.locator('.outcome').textContent()).toBe('Denied');
  }, CASE_MS);

  it('an argv too long to show whole is deny-only', async () => {
    const run = askToRun(['echo', 'x'.repeat(5_000)]);
    const card = page.locator('li.approval');
    await card.waitFor(WAIT);
    expect(await card.locator('.cut').textContent()).toContain('cannot be approved from this page');
    expect(await card.locator('.actions button').allTextContents()).toEqual(['Deny']);
    expect((await card.locator('.line').textContent())!.endsWith('…')).toBe(true);
    await card.locator('button.deny').click();
    expect(await run.exited).toBe(1);
  }, CASE_MS);

  it('the history lists what was decided, newest first, and the page logged no error', async () => {
    const outcomes = page.locator('li.decided .outcome');
    await expect.poll(() => outcomes.count(), WAIT).toBe(4);
    expect(await outcomes.allTextContents()).toEqual(['Denied', 'Denied', 'Approved once', 'Denied']);
    const by = await page.locator('li.decided .by').allTextContents();
    expect(by.slice(0, 3).every((text) => BROWSER_DEVICE.test(text))).toBe(true);
    expect(by[3]).toBe('shared token · "wire-approver <b>" via wire-approver');
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
  }, CASE_MS);
});

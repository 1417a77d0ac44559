/**
 * The Control UI's Agent view in a real Chromium, against a real gateway whose agent talks to the
 * scripted model and a real node with a synthetic camera (ffmpeg's test pattern): ask what the camera
 * sees, watch the answer stream in, see the camera_snap step with its node, status and the JPEG it
 * returned (fetched over /agent-media, and really decoded: pixels, not a broken icon); a hostile answer
 * stays text; Abort stops a slow run; a gateway with no model says how to configure one.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { follow, startAgentGateway } from '../agent/agent-helpers.js';
import { CASE_MS, chromiumMissing as missing, launchChromium, logIn, openView, screenshot, WAIT, watchedPage } from '../helpers/control-ui.js';
import { cleanup, ownerTokenEnv, spawnTether, tempDir, type GatewayProcess } from '../helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.js';
import { mediaName, multilineText, newSessionKey, nextRun, nextToolStep, type LiveToolStep } from '../../gateway/ui/src/views/agent-run.js';

const HOSTILE = '<img src=x onerror=alert(1)>\u001b[31m';

/** Decodes the step's image in the page and reads its pixels: its size and the spread of its red channel. */
const IMAGE_PIXELS = `(async () => {
  const img = document.querySelector('li.tool-step img.tool-image');
  if (!img || !img.complete || img.naturalWidth === 0) return { width: 0, height: 0, spread: 0 };
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let min = 255, max = 0;
  for (let i = 0; i < data.length; i += 4) { min = Math.min(min, data[i]); max = Math.max(max, data[i]); }
  return { width: img.naturalWidth, height: img.naturalHeight, spread: max - min, src: img.src.slice(0, 5) };
})()`;

describe("the agent view's reading of events (gateway/ui/src/views/agent-run.ts)", () => {
  const key = 'agent:main:main';
  it('follows one run of its session from chat and agent events, and ignores other sessions', () => {
    let run = nextRun(undefined, 'chat', { runId: 'r1', sessionKey: key, state: 'delta', message: { content: [{ type: 'text', text: 'Hel' }] } }, key);
    expect(run).toMatchObject({ runId: 'r1', state: 'running', text: 'Hel' });
    run = nextRun(run, 'agent', { runId: 'r1', sessionKey: key, stream: 'tool', data: { phase: 'start', toolCallId: 'c1' } }, key) ?? run;
    expect(run!.toolOrder).toEqual(['c1']);
    expect(nextRun(run, 'chat', { runId: 'r9', sessionKey: 'agent:main:other', state: 'delta' }, key)).toBeUndefined();
    expect(nextRun(run, 'chat', 'not an object', key)).toBeUndefined();
    run = nextRun(run, 'chat', { runId: 'r1', sessionKey: key, state: 'final', message: { content: [{ type: 'text', text: 'Hello' }] } }, key);
    expect(run).toMatchObject({ state: 'final', text: 'Hello' });
    // A late assistant event does not bring an ended run back.
    expect(nextRun(run, 'agent', { runId: 'r1', sessionKey: key, stream: 'assistant', data: { text: 'Hello' } }, key)).toBeUndefined();
    expect(nextRun(run, 'chat', { runId: 'r1', sessionKey: key, state: 'error', errorMessage: 'boom' }, key)).toMatchObject({ state: 'error', error: 'boom' });
  });

  it('builds a tool step from its start and result events', () => {
    const steps = new Map<string, LiveToolStep>();
    const start = nextToolStep(steps, 'agent', { stream: 'tool', ts: 5, data: { phase: 'start', name: 'camera_snap', toolCallId: 'c1', args: { node: 'kitchen' } } })!;
    expect(start).toMatchObject({ status: 'running', name: 'camera_snap', startedAt: 5 });
    steps.set('c1', start);
    const done = nextToolStep(steps, 'agent', { stream: 'tool', data: { phase: 'result', toolCallId: 'c1', isError: false, durationMs: 812, node: 'kitchen', command: 'camera.snap', savedTo: ['/s/a.jpg', 7] } });
    expect(done).toMatchObject({ status: 'ok', durationMs: 812, node: 'kitchen', command: 'camera.snap', savedTo: ['/s/a.jpg'], args: { node: 'kitchen' } });
    expect(nextToolStep(steps, 'chat', { stream: 'tool', data: { toolCallId: 'c1' } })).toBeUndefined();
  });

  it('fetches only content-hash names, and keeps newlines but escapes every other control character', () => {
    const hash = 'ab'.repeat(32);
    expect(mediaName(`/state/agents/main/media/${hash}.jpg`)).toBe(`${hash}.jpg`);
    for (const bad of ['/x/../../gateway.token', `/x/${hash}.JPG`, `/x/${hash}.jpg.txt`, `/x/${hash.slice(1)}.png`, '', `/x/${hash}.svg`]) expect(mediaName(bad)).toBeUndefined();
    expect(multilineText('line 1\nline \u001b[31m2\u202e')).toBe('line 1\nline \\x1b[31m2\\u{202e}');
    expect(newSessionKey(new Date('2026-12-04T21:05:00.123Z'))).toMatch(/^agent:main:ui-20261204-210500-[0-9a-z]{4}$/);
  });
});

describe.skipIf(missing !== undefined)(`the Agent view in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let model: ScriptedModel;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;
  let dialogs: string[];
  let errors: string[];

  beforeAll(async () => {
    model = await startScriptedModel({ family: 'openai' });
    gateway = await startAgentGateway(model, { profile: { vision: true } });
    const nodeDir = tempDir('tether-ui-kitchen-');
    writeFileSync(join(nodeDir, 'node-config.json'), JSON.stringify({ version: 1, camera: { source: 'lavfi:testsrc=s=320x240:r=5' } }));
    const camera = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'kitchen'], ownerTokenEnv(gateway));
    await camera.waitFor(/connected to .*offering .*camera\.snap/, 20_000);
    browser = await launchChromium();
    ({ page, dialogs, errors } = await watchedPage(browser));
    await logIn(page, gateway);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await model?.close();
    await cleanup();
  }, CASE_MS);

  it('streams the answer, shows the camera_snap step with the image it returned, and keeps a hostile answer as text', async () => {
    await openView(page, 'Agent');
    const answer = ['A test pattern ', 'with colour bars. ', 'And this: ', HOSTILE];
    model.script(reply.toolCalls([{ name: 'camera_snap', arguments: { node: 'kitchen' } }]), reply.text(answer, { delayMs: 400 }));
    const running = page.waitForSelector('li.tool-step[data-status="running"]', WAIT);
    await page.locator('textarea.message-input').fill('what does the camera on kitchen see?');
    await page.locator('button.send').click();

    // The question is in the transcript, and the answer arrives piece by piece before it is final.
    await running;
    await page.locator('li.message.user', { hasText: 'what does the camera on kitchen see?' }).waitFor(WAIT);
    const streaming = page.locator('li.message.streaming .text');
    await expect.poll(() => streaming.textContent().catch(() => ''), WAIT).toMatch(/^A test pattern/);
    await expect.poll(async () => page.locator('button.abort').isEnabled(), WAIT).toBe(true);
    await page.locator('li.message.streaming').waitFor({ state: 'detached', ...WAIT });

    const final = page.locator('li.message.assistant').last();
    expect(await final.locator('.text').textContent()).toBe('A test pattern with colour bars. And this: <img src=x onerror=alert(1)>\\x1b[31m');

    // The tool step: the tool, the node, done, and the JPEG the camera returned, decoded in the page.
    const step = page.locator('li.tool-step');
    await expect.poll(() => step.getAttribute('data-status'), WAIT).toBe('ok');
    expect(await step.locator('.tool-name').textContent()).toBe('camera_snap');
    expect(await step.locator('.tool-node').textContent()).toBe('kitchen');
    expect(await step.locator('.tool-status').textContent()).toBe('done');
    expect(await step.locator('.tool-command').textContent()).toBe('camera.snap');
    expect(await step.locator('.tool-duration').textContent()).toMatch(/^\d+(\.\d)? (ms|s)$/);
    await step.locator('img.tool-image').waitFor(WAIT);
    await expect.poll(async () => ((await page.evaluate(IMAGE_PIXELS)) as { width: number }).width, WAIT).toBe(320);
    const pixels = (await page.evaluate(IMAGE_PIXELS)) as { width: number; height: number; spread: number; src: string };
    expect(pixels).toMatchObject({ width: 320, height: 240, src: 'blob:' });
    expect(pixels.spread).toBeGreaterThan(64);
    expect(await step.locator('img.tool-image').getAttribute('data-media')).toMatch(/^[0-9a-f]{64}\.jpg$/);

    // The only image in the page is the camera's: the hostile answer made none, and nothing ran.
    expect(await page.locator('main img').count()).toBe(1);
    expect(dialogs).toEqual([]);
    expect(await page.locator('button.abort').isDisabled()).toBe(true);
    await screenshot(page, 'control-ui-agent.png', 'Agent');
  }, CASE_MS);

  it('the session is listed, and a new session starts empty', async () => {
    const options = page.locator('select.session-pick option');
    await expect.poll(() => options.allTextContents(), WAIT).toContain('main');
    await page.locator('button.new-session').click();
    await expect.poll(async () => page.locator('select.session-pick').inputValue(), WAIT).toMatch(/^agent:main:ui-\d{8}-\d{6}-[0-9a-z]{4}$/);
    await page.locator('p.empty').waitFor(WAIT);
    expect(await page.locator('li.message').count()).toBe(0);
  }, CASE_MS);

  it('Abort stops a slow run', async () => {
    const slow = Array.from({ length: 200 }, (_, i) => `word${i} `);
    model.script(reply.text(slow, { delayMs: 250 }));
    await page.locator('textarea.message-input').fill('tell me a very long story');
    await page.locator('button.send').click();
    const streaming = page.locator('li.message.streaming .text');
    await expect.poll(() => streaming.textContent().catch(() => ''), WAIT).toMatch(/^word0 /);
    await page.locator('button.abort').click();
    await page.locator('li.notice.aborted').waitFor(WAIT);
    expect(await page.locator('li.message.streaming').count()).toBe(0);
    await expect.poll(async () => page.locator('button.abort').isDisabled(), WAIT).toBe(true);
    // It stopped: the run is over on the gateway, long before the 200 words were sent.
    const operator = await follow(gateway, { scopes: ['operator.read'] });
    try {
      const sessions = await operator.client.request<{ sessions: { key: string; lastRun?: { status: string } }[] }>('sessions.list', {});
      const session = sessions.sessions.find((row) => row.key.startsWith('agent:main:ui-'));
      expect(session?.lastRun?.status).toBe('aborted');
    } finally {
      await operator.client.close();
    }
    expect(errors).toEqual([]);
  }, CASE_MS);

  it('with no model configured, the view says how to configure one', async () => {
    const bare = await startAgentGateway(undefined);
    const fresh = await watchedPage(browser);
    await logIn(fresh.page, bare);
    await openView(fresh.page, 'Agent');
    await fresh.page.locator('textarea.message-input').fill('hello?');
    await fresh.page.locator('button.send').click();
    const note = fresh.page.locator('.not-configured');
    await note.waitFor(WAIT);
    expect(await note.textContent()).toContain('No model is configured.');
    expect(await note.textContent()).toContain('the agent has no model: set agent.model');
    expect(await note.textContent()).toContain('TETHER_AGENT_MODEL');
    expect(fresh.dialogs).toEqual([]);
    await fresh.page.context().close();
  }, CASE_MS);
});

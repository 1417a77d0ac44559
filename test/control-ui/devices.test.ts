/**
 * The Devices view end to end: a real gateway process, real node processes, the real CLI and Chromium.
 * A node pairs (approved in the page), is renamed in the page (the CLI sees the name, the node's next
 * connect keeps it, a hostile name is refused with the reason), its token is rotated and revoked and
 * it is removed, each after a confirmation naming it; a setup code is made, its QR decodes to the code,
 * a second node pairs with it without an approval, and a code is revoked. Also: device.rename's edge
 * checks over the wire and through `tether devices rename`, hostile names first.
 */
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOperator } from '../helpers/clients.js';
import { CASE_MS, chromiumMissing as missing, connectAsBrowser, launchChromium, logIn, loginAsBrowser, openView, screenshot, WAIT, watchedPage } from '../helpers/control-ui.js';
import { cleanup, runTether, spawnTether, startGatewayProcess, stop, tempDir, type GatewayProcess, type Spawned } from '../helpers/processes.js';

// jsqr is CommonJS (its module.exports is the decoder).
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;

const HOSTILE_TEXT = '<img src=x onerror=alert(1)>';
/** What a node may declare (the gateway stores it; the page shows it escaped). */
const DECLARED = `kitchen-pi${HOSTILE_TEXT}\u001b[31m`;
const DECLARED_SHOWN = `kitchen-pi${HOSTILE_TEXT}\\x1b[31m`;

interface TokenInfo {
  role: string;
  rotatedAtMs?: number;
  revokedAtMs?: number;
}
interface Paired {
  deviceId: string;
  displayName?: string;
  approvedVia: string;
  connected?: boolean;
  tokens: TokenInfo[];
  renamedAtMs?: number;
}
interface List {
  pending: { requestId: string; deviceId: string; reason: string }[];
  paired: Paired[];
}

let gateway: GatewayProcess;

async function devicesList(): Promise<List> {
  const result = await runTether(['devices', 'list', '--json', '--state-dir', gateway.stateDir]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as List;
}

async function paired(deviceId: string): Promise<Paired | undefined> {
  return (await devicesList()).paired.find((device) => device.deviceId === deviceId);
}

function startNode(stateDir: string, displayName: string, extra: string[] = []): Spawned {
  return spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', stateDir, '--display-name', displayName, ...extra]);
}

describe('device.rename at the edge (no browser)', () => {
  let deviceId: string;
  let node: Spawned;

  beforeAll(async () => {
    gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
    node = startNode(tempDir('tether-rename-node-'), 'edge-pi');
    let request: List['pending'][number] | undefined;
    for (const deadline = Date.now() + WAIT.timeout; !request; ) {
      request = (await devicesList()).pending[0];
      if (!request && Date.now() > deadline) throw new Error(`the node never asked to pair:\n${node.output()}`);
      if (!request) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    deviceId = request.deviceId;
    const approved = await runTether(['devices', 'approve', request.requestId, '--state-dir', gateway.stateDir]);
    expect(approved.code, approved.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await stop(node.child);
    await cleanup();
  }, CASE_MS);

  it('refuses control and format characters, empty and over-long names with stable reasons, and changes nothing', async () => {
    const operator = await connectOperator(gateway.url, gateway.stateDir);
    try {
      const cases: [string, string][] = [
        ['evil\u001b[2J', 'DISPLAY_NAME_UNSAFE'],
        ['kitchen\u202egnp.exe', 'DISPLAY_NAME_UNSAFE'],
        ['two\u2028lines', 'DISPLAY_NAME_UNSAFE'],
        ['zero\u200bwidth', 'DISPLAY_NAME_UNSAFE'],
        ['   ', 'DISPLAY_NAME_EMPTY'],
        ['x'.repeat(65), 'DISPLAY_NAME_TOO_LONG'],
      ];
      for (const [name, reason] of cases) {
        const error = (await operator.request('device.rename', { deviceId, displayName: name }).catch((e: unknown) => e)) as { code?: string; details?: { code?: string; reason?: string }; message?: string };
        expect(error.details, JSON.stringify(name)).toMatchObject({ code: 'INVALID_PARAMS', reason });
        expect(error.message).toMatch(/nothing was changed/);
      }
      // Beyond the schema's size bound, and extra keys: refused by the schema.
      const huge = (await operator.request('device.rename', { deviceId, displayName: 'x'.repeat(5000) }).catch((e: unknown) => e)) as { details?: { code?: string } };
      expect(huge.details?.code).toBe('INVALID_PARAMS');
      const extra = (await operator.request('device.rename', { deviceId, displayName: 'ok', role: 'node' }).catch((e: unknown) => e)) as { details?: { code?: string } };
      expect(extra.details?.code).toBe('INVALID_PARAMS');
      const unknown = (await operator.request('device.rename', { deviceId: 'f'.repeat(64), displayName: 'ok' }).catch((e: unknown) => e)) as { details?: { code?: string } };
      expect(unknown.details?.code).toBe('UNKNOWN_DEVICE');
    } finally {
      await operator.close();
    }
    expect((await paired(deviceId))?.displayName).toBe('edge-pi');
  }, CASE_MS);

  it('a pairing-only operator device may not rename a node (names are policy: agent.denyNodes), nor take another device\'s name', async () => {
    const phone = await loginAsBrowser(gateway, 'operator.pairing');
    const { peer, hello } = await connectAsBrowser(gateway, phone);
    expect(hello.ok, JSON.stringify(hello)).toBe(true);
    peer.send({ type: 'req', id: 'r1', method: 'device.rename', params: { deviceId, displayName: 'not-denied-anymore' } });
    const refused = await peer.nextFrame();
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.admin' } });
    peer.ws.close();
    expect((await paired(deviceId))?.displayName).toBe('edge-pi');
    const operator = await connectOperator(gateway.url, gateway.stateDir);
    try {
      const taken = (await operator.request('device.rename', { deviceId: phone.deviceId, displayName: 'EDGE-PI' }).catch((e: unknown) => e)) as { details?: { reason?: string } };
      expect(taken.details?.reason).toBe('DISPLAY_NAME_TAKEN');
    } finally {
      await operator.close();
    }
  }, CASE_MS);

  it('tether devices rename refuses a hostile name with the reason, and renames by id prefix', async () => {
    const refused = await runTether(['devices', 'rename', deviceId.slice(0, 10), 'evil\u001b]0;owned\u0007', '--state-dir', gateway.stateDir]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/control or format characters/);
    const renamed = await runTether(['devices', 'rename', deviceId.slice(0, 10), `  ${HOSTILE_TEXT}  `, '--state-dir', gateway.stateDir]);
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(renamed.stdout).toContain(`from edge-pi to ${HOSTILE_TEXT}`);
    expect(await paired(deviceId)).toMatchObject({ displayName: HOSTILE_TEXT });
    expect(gateway.output()).toContain(`renamed ${deviceId.slice(0, 12)} from edge-pi to ${HOSTILE_TEXT}`);
  }, CASE_MS);
});

describe.skipIf(missing !== undefined)(`the Devices view in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: Browser;
  let page: Page;
  let dialogs: string[] = [];
  let pageErrors: string[] = [];
  const nodeDir = () => nodeDirs.a;
  const nodeDirs = { a: '', b: '' };
  let nodeA: Spawned | undefined;
  let nodeB: Spawned | undefined;
  let idA = '';
  let setupUri = '';

  const card = (deviceId: string) => page.locator(`li.paired[data-device-id="${deviceId}"]`);

  beforeAll(async () => {
    gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
    nodeDirs.a = tempDir('tether-ui-node-a-');
    nodeDirs.b = tempDir('tether-ui-node-b-');
    browser = await launchChromium();
    ({ page, dialogs, errors: pageErrors } = await watchedPage(browser));
    await logIn(page, gateway);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cleanup();
  }, CASE_MS);

  it('a node asks to pair and is approved in the page', async () => {
    nodeA = startNode(nodeDir(), DECLARED);
    const pending = page.locator('li.pending', { hasText: 'kitchen-pi' });
    await pending.waitFor(WAIT).catch((error: Error) => {
      throw new Error(`${error.message}\nnode:\n${nodeA!.output()}\ngateway:\n${gateway.output().slice(-3000)}`);
    });
    await pending.locator('button.approve').click();
    await pending.waitFor({ state: 'detached', ...WAIT });
    const list = await devicesList();
    idA = list.paired.find((device) => device.displayName === DECLARED)!.deviceId;
    await expect.poll(async () => (await paired(idA))?.connected, WAIT).toBe(true);
    const shown = card(idA);
    await expect.poll(() => shown.locator('.badge').textContent(), WAIT).toBe('online');
    expect(await shown.locator('.token[data-role="node"] .token-state').textContent()).toMatch(/^node token: issued /);
    expect(await shown.locator('.name').textContent()).toBe(DECLARED_SHOWN);
    expect(await page.locator('img').count()).toBe(0);
  }, CASE_MS);

  it('renames it in the page after naming it; the CLI sees the name and the next connect keeps it', async () => {
    const shown = card(idA);
    await shown.locator('button.rename').click();
    const form = shown.locator('form.rename-form');
    expect(await form.locator('.confirm-name').textContent()).toBe(DECLARED_SHOWN);
    expect(await form.textContent()).toContain(idA.slice(0, 12));
    await form.locator('input.rename-input').fill(`Küche ${HOSTILE_TEXT}`);
    await form.locator('button.confirm-yes').click();
    await expect.poll(() => shown.locator('.name').textContent(), WAIT).toBe(`Küche ${HOSTILE_TEXT}`);
    expect(await shown.locator('.note').textContent()).toBe(`Renamed to Küche ${HOSTILE_TEXT}`);
    expect(await page.locator('img:not(.setup-qr)').count()).toBe(0);
    expect((await paired(idA))?.displayName).toBe(`Küche ${HOSTILE_TEXT}`);

    // The node connects again declaring its own name: the owner's name stays.
    await stop(nodeA!.child);
    await expect.poll(async () => (await paired(idA))?.connected, WAIT).toBe(false);
    nodeA = startNode(nodeDir(), 'kitchen-pi-declared');
    await expect.poll(async () => (await paired(idA))?.connected, WAIT).toBe(true);
    expect((await paired(idA))?.displayName).toBe(`Küche ${HOSTILE_TEXT}`);
    await expect.poll(() => shown.locator('.badge').textContent(), WAIT).toBe('online');
    expect(await shown.locator('.name').textContent()).toBe(`Küche ${HOSTILE_TEXT}`);
  }, CASE_MS);

  it('a hostile new name is refused with a clear message, and the name stays', async () => {
    const shown = card(idA);
    await shown.locator('button.rename').click();
    const form = shown.locator('form.rename-form');
    await form.locator('input.rename-input').fill('evil\u001b[2J\u202e');
    await form.locator('button.confirm-yes').click();
    const refusal = shown.locator('.note.error[role="alert"]');
    await refusal.waitFor(WAIT);
    expect(await refusal.textContent()).toMatch(/may not hold control or format characters.*nothing was changed/);
    await form.locator('button.cancel').click();
    expect(await shown.locator('.name').textContent()).toBe(`Küche ${HOSTILE_TEXT}`);
    expect((await paired(idA))?.displayName).toBe(`Küche ${HOSTILE_TEXT}`);
  }, CASE_MS);

  it('rotating asks first, naming the device, takes effect, and never shows the new token', async () => {
    const shown = card(idA);
    await shown.locator('.token[data-role="node"] button.rotate').click();
    const confirm = shown.locator('[role="alertdialog"]');
    expect(await confirm.locator('.confirm-name').textContent()).toBe(`Küche ${HOSTILE_TEXT}`);
    expect(await confirm.textContent()).toContain(idA.slice(0, 12));
    expect((await paired(idA))?.tokens[0]?.rotatedAtMs).toBeUndefined();
    // Cancel sends nothing.
    await confirm.locator('button.cancel').click();
    await confirm.waitFor({ state: 'detached', ...WAIT });
    expect((await paired(idA))?.tokens[0]?.rotatedAtMs).toBeUndefined();

    await shown.locator('.token[data-role="node"] button.rotate').click();
    await shown.locator('[role="alertdialog"] button.confirm-yes').click();
    await expect.poll(() => shown.locator('.note').textContent(), WAIT).toMatch(/^Rotated the node token at /);
    expect((await paired(idA))?.tokens.find((token) => token.role === 'node')?.rotatedAtMs).toBeGreaterThan(0);
    // A device token is 43 base64url characters: none is anywhere in the page.
    expect(await page.locator('body').innerText()).not.toMatch(/[A-Za-z0-9_-]{43}/);
    await expect.poll(() => shown.locator('.token[data-role="node"] .token-state').textContent(), WAIT).toMatch(/rotated /);
  }, CASE_MS);

  it('revoking asks first, naming the device; the node is refused on reconnect and must be approved again', async () => {
    const shown = card(idA);
    await shown.locator('.token[data-role="node"] button.revoke').click();
    const confirm = shown.locator('[role="alertdialog"]');
    expect(await confirm.textContent()).toContain(`Revoke the node token of Küche ${HOSTILE_TEXT} (device ${idA.slice(0, 12)})?`);
    await confirm.locator('button.confirm-yes').click();
    await expect.poll(() => shown.locator('.note').textContent(), WAIT).toMatch(/^Revoked the node token \(1 connection\(s\) closed\)/);
    await expect.poll(async () => (await paired(idA))?.tokens.find((token) => token.role === 'node')?.revokedAtMs, WAIT).toBeGreaterThan(0);
    // The node retries and is held for a repair approval instead of being admitted.
    await expect.poll(async () => (await devicesList()).pending.find((request) => request.deviceId === idA)?.reason, WAIT).toBe('token-revoked');
    expect((await paired(idA))?.connected).toBe(false);
    await expect.poll(() => shown.locator('.token[data-role="node"] .token-state').textContent(), WAIT).toMatch(/revoked .*approved again/);
    // The repair request shows what the device declares; approving it would keep the owner's name (store-rename.test.ts).
    const repair = page.locator('li.pending', { hasText: 'kitchen-pi-declared' });
    await repair.waitFor(WAIT);
    expect(await repair.locator('.paired-as').textContent()).toBe(`already paired as Küche ${HOSTILE_TEXT}; it asks again`);
  }, CASE_MS);

  it('removing asks first, naming the device, and unpairs it', async () => {
    await stop(nodeA!.child);
    const shown = card(idA);
    await shown.locator('button.remove').click();
    const confirm = shown.locator('[role="alertdialog"]');
    expect(await confirm.textContent()).toContain(`Remove Küche ${HOSTILE_TEXT} (device ${idA.slice(0, 12)})?`);
    await confirm.locator('button.confirm-yes').click();
    await shown.waitFor({ state: 'detached', ...WAIT });
    expect(await paired(idA)).toBeUndefined();
    expect(dialogs).toEqual([]);
  }, CASE_MS);

  it('makes a setup code shown as text and as a QR that decodes to it', async () => {
    await page.locator('input.setup-commands').fill('system.notify,system.which');
    await page.locator('input.setup-name').fill('garage-pi');
    await page.locator('button.setup-create').click();
    const created = page.locator('.setup-new');
    await created.waitFor(WAIT);
    setupUri = (await created.locator('.setup-uri').textContent()) ?? '';
    expect(setupUri).toMatch(/^oc-pair:\/\/[A-Za-z0-9_-]+$/);
    expect(await created.locator('.setup-command').textContent()).toBe(`tether node run --pair '${setupUri}'`);
    const image = created.locator('img.setup-qr');
    await image.waitFor(WAIT);
    expect(await image.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,/);
    await expect.poll(() => image.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0), WAIT).toBe(true);
    // Draw the image the page shows onto a canvas and decode it with jsQR: it carries the bare code, as the CLI's QR does.
    const png = await image.evaluate((img) => {
      // Runs in the page (the test's tsconfig has no DOM types): the shown image, drawn at 480 px, as a PNG.
      const doc = (globalThis as unknown as { document: { createElement(tag: 'canvas'): any } }).document;
      const canvas = doc.createElement('canvas');
      canvas.width = 480;
      canvas.height = 480;
      const context = canvas.getContext('2d');
      context.imageSmoothingEnabled = false;
      context.drawImage(img, 0, 0, 480, 480);
      return canvas.toDataURL('image/png') as string;
    });
    const { data, info } = await sharp(Buffer.from(png.replace(/^data:image\/png;base64,/, ''), 'base64')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const decoded = jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height);
    expect(decoded?.data).toBe(setupUri.slice('oc-pair://'.length));
    // The list shows it as active.
    const id = await created.getAttribute('data-code-id');
    await expect.poll(() => page.locator(`li.setup-code[data-code-id="${id}"]`).getAttribute('data-status'), WAIT).toBe('active');
    expect(pageErrors).toEqual([]);
  }, CASE_MS);

  it('a second node started with the code pairs without an approval', async () => {
    nodeB = spawnTether(['node', 'run', '--pair', setupUri, '--state-dir', nodeDirs.b, '--display-name', 'declared-b']);
    await expect
      .poll(async () => (await devicesList()).paired.find((device) => device.approvedVia === 'bootstrap' && device.connected), WAIT)
      .toMatchObject({ displayName: 'garage-pi' })
      .catch((error: Error) => {
        throw new Error(`${error.message}\nnode:\n${nodeB!.output()}\ngateway:\n${gateway.output().slice(-3000)}`);
      });
    expect((await devicesList()).pending).toEqual([]);
    const shown = page.locator('li.paired', { hasText: 'garage-pi' });
    await expect.poll(() => shown.locator('.badge').textContent(), WAIT).toBe('online');
    await expect.poll(() => page.locator('li.setup-code[data-status="redeemed"]').count(), WAIT).toBe(1);
  }, CASE_MS);

  it('revokes a setup code after asking', async () => {
    await page.locator('input.setup-name').fill('');
    await page.locator('button.setup-create').click();
    const created = page.locator('.setup-new');
    await expect.poll(async () => (await created.locator('.setup-uri').textContent()) !== setupUri, WAIT).toBe(true);
    await created.locator('img.setup-qr').waitFor(WAIT);
    await expect.poll(() => created.locator('img.setup-qr').evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0), WAIT).toBe(true);
    await screenshot(page, 'control-ui-devices-manage.png', 'Devices');
    const id = (await created.getAttribute('data-code-id'))!;
    const item = page.locator(`li.setup-code[data-code-id="${id}"]`);
    await item.locator('button.setup-revoke').click();
    expect(await item.locator('[role="alertdialog"]').textContent()).toContain(`Revoke setup code ${id}?`);
    await item.locator('button.confirm-yes').click();
    await expect.poll(() => item.getAttribute('data-status'), WAIT).toBe('revoked');
    await created.waitFor({ state: 'detached', ...WAIT });
    const codes = JSON.parse((await runTether(['devices', 'setup-code', 'list', '--json', '--state-dir', gateway.stateDir])).stdout) as { codes: { id: string; status: string }[] };
    expect(codes.codes.find((code) => code.id === id)?.status).toBe('revoked');
  }, CASE_MS);

  it('the Health view shows uptime and the connected node count, updated when a node connects', async () => {
    await openView(page, 'Health');
    await expect.poll(() => page.locator('[data-field="uptime"]').textContent(), WAIT).toMatch(/^\d+ (s|min)/);
    const connected = page.locator('[data-field="nodes-connected"]');
    await expect.poll(() => connected.textContent(), WAIT).toBe('1');
    await stop(nodeB!.child);
    await expect.poll(() => connected.textContent(), WAIT).toBe('0');
    nodeB = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDirs.b]);
    await expect.poll(() => connected.textContent(), WAIT).toBe('1');
    expect(await page.locator('[data-field="node-connections"]').textContent()).toBe('1');
    expect(await page.locator('[data-field="discovery"]').textContent()).toMatch(/\S/);
    await screenshot(page, 'control-ui-health.png', 'Health');
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, CASE_MS);
});

/**
 * The Control UI's browser device identity in a real Chromium: the login pairs this browser's own
 * Ed25519 key as an operator device (WebCrypto, non-extractable; tweetnacl where WebCrypto has no
 * Ed25519), the page never holds the gateway token, a narrower link disables what it does not grant
 * (with the reason), and revoking or logging out ends the login.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASE_MS, chromiumMissing, dashboardLink, launchChromium, logIn, openView, PHONE, WAIT, watchedPage } from '../helpers/control-ui.js';
import { newTestKey, openRawPeer, signedConnect } from '../helpers/raw-client.js';
import { cleanup, runTether, startGatewayProcess, type GatewayProcess } from '../helpers/processes.js';

/** The browser globals the page functions below use (this test program is compiled without the DOM lib). */
interface Store {
  getItem(key: string): string | null;
}
interface BrowserGlobals {
  indexedDB: { open(name: string, version: number): { result: any; error: unknown; onsuccess: () => void; onerror: () => void } };
  localStorage: Store & Record<string, string>;
  sessionStorage: Record<string, string>;
  crypto: { subtle: { generateKey: (...args: any[]) => Promise<unknown> } };
  DOMException: new (message: string, name: string) => Error;
}

let gateway: GatewayProcess;
let browser: Browser;

interface Listed {
  deviceId: string;
  displayName?: string;
  roles: string[];
  scopes?: string[];
}

async function paired(): Promise<Listed[]> {
  const result = await runTether(['devices', 'list', '--json', '--state-dir', gateway.stateDir]);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { paired: Listed[] }).paired;
}

/** What the page keeps in this origin's storage, and the identity record in IndexedDB. */
function storedState(page: Page) {
  return page.evaluate(async () => {
    const { indexedDB, localStorage, sessionStorage } = globalThis as unknown as BrowserGlobals;
    const record = await new Promise<unknown>((resolve, reject) => {
      const open = indexedDB.open('tether-control-ui', 1);
      open.onsuccess = () => {
        const get = open.result.transaction('identity', 'readonly').objectStore('identity').get('device');
        get.onsuccess = () => resolve(get.result);
        get.onerror = () => reject(get.error);
      };
      open.onerror = () => reject(open.error);
    });
    const entry = record as { kind?: string; privateKey?: { extractable: boolean }; publicKey?: string } | undefined;
    return {
      kind: entry?.kind,
      extractable: entry?.privateKey?.extractable,
      publicKey: entry?.publicKey,
      storage: JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }),
    };
  });
}

/** The login a page keeps: which device it is. */
async function loggedInDevice(page: Page): Promise<string> {
  const raw = await page.evaluate(() => (globalThis as unknown as BrowserGlobals).localStorage.getItem('tether.ui.login'));
  return (JSON.parse(raw ?? '{}') as { deviceId: string }).deviceId;
}

describe.skipIf(chromiumMissing !== undefined)(`the Control UI's browser identity${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`, () => {
  beforeAll(async () => {
    gateway = await startGatewayProcess();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cleanup();
  }, CASE_MS);

  it('pairs a WebCrypto key that cannot be exported; the page stores no gateway token; a reload stays logged in', async () => {
    const { page, errors } = await watchedPage(browser);
    await logIn(page, gateway);
    const state = await storedState(page);
    expect(state.kind).toBe('webcrypto');
    expect(state.extractable).toBe(false);
    const token = readFileSync(`${gateway.stateDir}/gateway.token`, 'utf8').trim();
    expect(state.storage).not.toContain(token);
    const deviceId = await loggedInDevice(page);
    expect((await paired()).find((device) => device.deviceId === deviceId)).toMatchObject({ displayName: 'Control UI', roles: ['operator'] });
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'connected' }).waitFor(WAIT);
    expect(await loggedInDevice(page)).toBe(deviceId);
    expect(errors).toEqual([]);
    await page.context().close();
  }, CASE_MS);

  it('falls back to tweetnacl where WebCrypto has no Ed25519, and still connects', async () => {
    const context: BrowserContext = await browser.newContext({ viewport: PHONE });
    await context.addInitScript(() => {
      const { crypto, DOMException } = globalThis as unknown as BrowserGlobals;
      const subtle = crypto.subtle;
      const original = subtle.generateKey.bind(subtle);
      subtle.generateKey = (algorithm: string | { name?: string }, ...rest: unknown[]) =>
        typeof algorithm === 'object' && algorithm.name === 'Ed25519' ? Promise.reject(new DOMException('Ed25519 is not supported', 'NotSupportedError')) : original(algorithm, ...rest);
    });
    const page = await context.newPage();
    await logIn(page, gateway);
    expect((await storedState(page)).kind).toBe('tweetnacl');
    const deviceId = await loggedInDevice(page);
    expect((await paired()).some((device) => device.deviceId === deviceId)).toBe(true);
    await context.close();
  }, CASE_MS);

  it('a login without operator.admin shows Approve disabled for a node that runs programs, with the reason', async () => {
    const { page } = await watchedPage(browser);
    await logIn(page, gateway, ['--scopes', 'operator.read,operator.pairing']);
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(newTestKey(), peer.challenge, { commands: ['system.run', 'device.status'], displayName: 'waiting-pi' }));
    await openView(page, 'Devices');
    const card = page.locator('li.pending', { hasText: 'waiting-pi' });
    await card.waitFor(WAIT);
    expect(await card.locator('button.approve').isDisabled()).toBe(true);
    expect(await card.locator('button.approve').getAttribute('title')).toMatch(/needs operator\.admin/);
    expect(await card.locator('.denied').textContent()).toMatch(/needs operator\.admin and operator\.write, which this login was not granted/);
    // Rejecting needs only operator.pairing, which this login holds.
    expect(await card.locator('button.reject').isDisabled()).toBe(false);
    peer.ws.close();
    await page.context().close();
  }, CASE_MS);

  it('a --scopes operator.read login says what it cannot see, instead of failing', async () => {
    const { page, errors } = await watchedPage(browser);
    await logIn(page, gateway, ['--scopes', 'operator.read']);
    await openView(page, 'Devices');
    expect(await page.locator('.view[data-view=devices] .denied').first().textContent()).toMatch(/needs operator\.pairing, which this login was not granted/);
    expect(await page.getByRole('alert').count()).toBe(0);
    const deviceId = await loggedInDevice(page);
    expect((await paired()).find((device) => device.deviceId === deviceId)?.scopes).toEqual(['operator.read']);
    expect(errors).toEqual([]);
    await page.context().close();
  }, CASE_MS);

  it('a link opened by a logged-in browser is used only when the person says so', async () => {
    const { page } = await watchedPage(browser);
    await logIn(page, gateway);
    const deviceId = await loggedInDevice(page);
    await page.goto(await dashboardLink(gateway, ['--scopes', 'operator.read']));
    await page.getByText(/logs it in again with/).waitFor(WAIT);
    expect(await page.locator('main.login strong').textContent()).toBe('operator.read');
    await page.getByRole('button', { name: 'Keep the current login' }).click();
    await page.getByRole('status').filter({ hasText: 'connected' }).waitFor(WAIT);
    expect((await paired()).find((device) => device.deviceId === deviceId)?.scopes).toContain('operator.admin');
    await page.goto(await dashboardLink(gateway, ['--scopes', 'operator.read']));
    await page.getByRole('button', { name: 'Log in with this link' }).click();
    await page.getByRole('status').filter({ hasText: 'connected' }).waitFor(WAIT);
    expect(await loggedInDevice(page)).toBe(deviceId);
    expect((await paired()).find((device) => device.deviceId === deviceId)?.scopes).toEqual(['operator.read']);
    await page.context().close();
  }, CASE_MS);

  it('signs in once with the gateway token typed into the page, and keeps no copy of it', async () => {
    const { page } = await watchedPage(browser);
    await page.goto(`http://127.0.0.1:${gateway.port}/`);
    const token = readFileSync(`${gateway.stateDir}/gateway.token`, 'utf8').trim();
    await page.getByLabel(/gateway token/).fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('status').filter({ hasText: 'connected' }).waitFor(WAIT);
    expect((await storedState(page)).storage).not.toContain(token);
    await page.context().close();
  }, CASE_MS);

  it('a revoked browser is sent back to the login screen; logging out removes the browser from the paired devices', async () => {
    const revoked = await watchedPage(browser);
    await logIn(revoked.page, gateway);
    const revokedId = await loggedInDevice(revoked.page);
    const result = await runTether(['devices', 'revoke', '--device', revokedId, '--role', 'operator', '--state-dir', gateway.stateDir]);
    expect(result.code, result.stderr).toBe(0);
    await revoked.page.getByText('tether dashboard').first().waitFor(WAIT);
    expect(await revoked.page.evaluate(() => (globalThis as unknown as BrowserGlobals).localStorage.getItem('tether.ui.login'))).toBeNull();
    await revoked.page.context().close();

    const leaving = await watchedPage(browser);
    await logIn(leaving.page, gateway);
    const leavingId = await loggedInDevice(leaving.page);
    await leaving.page.getByRole('button', { name: 'Log out' }).click();
    await leaving.page.getByText(/removed from the paired devices/).waitFor(WAIT);
    expect((await paired()).some((device) => device.deviceId === leavingId)).toBe(false);
    await leaving.page.reload();
    await leaving.page.getByText('tether dashboard').first().waitFor(WAIT);
    await leaving.page.context().close();
  }, CASE_MS);
});

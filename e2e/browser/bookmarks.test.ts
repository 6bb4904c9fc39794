/**
 * Bookmarks in real Chromium: saved to IndexedDB from the connect form, still
 * listed after a reload, edited, deleted, and one click away from a working
 * connection. Also the unreachable-server message, and screenshots of the
 * connect view and of both views at phone width (360 px) in test-results/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { sessionByNickname, startTestServer, waitFor, type TestServer } from '../integration/harness.ts';
import { launchChromium, type Browser } from './chromium.ts';
import { screenshot } from './app-driver.ts';

let t: TestServer;
let browser: Browser;

before(async () => {
  t = await startTestServer();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await t?.close();
});

const bookmark = (page: Page, label: string) => page.locator(`[data-bookmark="${label}"]`);

async function saveBookmark(page: Page, fields: { label: string; nickname: string; port: string; password?: string }): Promise<void> {
  await page.getByLabel('Port').fill(fields.port);
  await page.getByLabel('Nickname').fill(fields.nickname);
  await page.getByLabel('Password').fill(fields.password ?? '');
  await page.getByLabel('Bookmark name').fill(fields.label);
  await page.getByRole('button', { name: 'Save as bookmark' }).click();
  await bookmark(page, fields.label).waitFor({ timeout: 5000 });
}

test('bookmarks: save two, reload, edit, delete, one-click connect', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(t.server.url);
  const port = String(new URL(t.server.url).port);

  // The form starts at the page's own server.
  assert.equal(await page.getByLabel('Server address').inputValue(), '127.0.0.1');
  assert.equal(await page.getByLabel('Port').inputValue(), port);

  // The bookmark's password is bob's account password: one click logs him in.
  await t.server.accounts.create('bob', 'open sesame', 'member');
  await saveBookmark(page, { label: 'Home', nickname: 'bob', port, password: 'open sesame' });
  // Port 1 on loopback: nothing listens there.
  await saveBookmark(page, { label: 'Elsewhere', nickname: 'carol', port: '1' });

  await page.reload();
  await bookmark(page, 'Home').waitFor({ timeout: 5000 });
  await bookmark(page, 'Elsewhere').waitFor({ timeout: 5000 });
  assert.match((await bookmark(page, 'Home').textContent()) ?? '', /bob @ 127\.0\.0\.1:\d+/);
  await screenshot(page, 'connect-view.png');

  // One click on an unreachable bookmark: a clear message, and the form is usable again.
  await bookmark(page, 'Elsewhere').getByRole('button', { name: /^Elsewhere/ }).click();
  await page.getByRole('alert').filter({ hasText: 'Server unreachable' }).waitFor({ timeout: 10_000 });
  assert.match((await page.getByRole('alert').filter({ hasText: 'Server unreachable' }).textContent()) ?? '', /127\.0\.0\.1:1\b/);

  // Edit: the form takes the bookmark, saving updates it in place.
  await page.getByRole('button', { name: 'Edit Elsewhere' }).click();
  assert.equal(await page.getByLabel('Nickname').inputValue(), 'carol');
  await page.getByLabel('Bookmark name').fill('Somewhere');
  await page.getByRole('button', { name: 'Save bookmark', exact: true }).click();
  await bookmark(page, 'Somewhere').waitFor({ timeout: 5000 });
  assert.equal(await bookmark(page, 'Elsewhere').count(), 0);

  // Delete survives a reload.
  await page.getByRole('button', { name: 'Delete Somewhere' }).click();
  await bookmark(page, 'Somewhere').waitFor({ state: 'detached', timeout: 5000 });
  await page.reload();
  await bookmark(page, 'Home').waitFor({ timeout: 5000 });
  assert.equal(await page.locator('[data-bookmark]').count(), 1);

  // One click on Home connects as bob.
  await bookmark(page, 'Home').getByRole('button', { name: /^Home/ }).click();
  await page.getByRole('status').filter({ hasText: 'connected' }).waitFor({ timeout: 10_000 });
  await waitFor(() => sessionByNickname(t, 'bob')?.userId != null, 5000, 'the server has bob, logged in');
  await page.locator('[data-user="bob"]').waitFor({ timeout: 5000 });
  assert.deepEqual(errors, [], 'no page errors');
  await page.close();
});

test('phone width (360 px): both views fit without sideways scrolling', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(t.server.url);
  await bookmark(page, 'Home').waitFor({ timeout: 5000 });
  await screenshot(page, 'connect-view-360.png', { width: 360, fullPage: true }); // the connect view fits

  const node = await t.client('node-nia');
  await page.getByLabel('Nickname').fill('phone-pat');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'connected' }).waitFor({ timeout: 10_000 });
  await page.locator('[data-user="node-nia"]').waitFor({ timeout: 5000 });
  node.sendChat('hello small screen');
  await page.locator('.log li', { hasText: 'hello small screen' }).waitFor({ timeout: 5000 });
  await screenshot(page, 'main-view-360.png', { width: 360, fullPage: true }); // the main view fits
  await page.close();
});

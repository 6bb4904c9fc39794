/**
 * The /admin panel in real Chromium against the real server (first-run admin
 * password from VOICE_ADMIN_PASSWORD) with real Node clients: wrong
 * credentials, login, the online list and live figures, kick (the client's
 * session ends with `removed`/kicked), ban by account and lift, an address
 * range ban with a field error first, channels created, edited and deleted,
 * accounts, a moderator's narrower panel, a member and a banned account at the
 * login, a refused token, the login throttle, and the keyboard path through a
 * dialog. Screenshots at 1280 and 360 px go to
 * test-results/admin/ (and to $VOICE_SHOTS_DIR when set).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { apiClient, apiLogin, connectClient, sessionByNickname, sleep, startTestServer, waitFor, withTimeout, type ApiUser, type TestServer } from '../integration/harness.ts';
import { screenshot } from './app-driver.ts';
import type { VoiceSession } from '../../client/net/voice-session.ts';
import { launchChromium, type Browser } from './chromium.ts';

const ADMIN_PASSWORD = 'admin-panel-test-password';
const distClient = fileURLToPath(new URL('../../dist/client/', import.meta.url));
let t: TestServer;
let browser: Browser;
let page: Page;
/** The Node client kicked from the panel. */
let nia: VoiceSession;
const pageErrors: string[] = [];
const cspReports: string[] = [];

before(async () => {
  t = await startTestServer({ VOICE_ADMIN_PASSWORD: ADMIN_PASSWORD });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 860 });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspReports.push(m.text());
  });
});
after(async () => {
  await browser?.close();
  await t?.close();
});

/** A full-page screenshot in test-results/admin/; with `width`, taken at that width, which the page must fit (issue 5: narrow screens). */
function shot(name: string, width?: number): Promise<void> {
  return screenshot(page, name, { subdir: 'admin', fullPage: true, ...(width === undefined ? {} : { width }) });
}

function closedWith(s: VoiceSession): Promise<string> {
  return new Promise((resolve) => s.once('closed', resolve));
}

/** The focused element's id/text, looking through shadow roots. */
function focused(): Promise<{ id: string; text: string; inDialog: boolean }> {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return { id: el?.id ?? '', text: (el?.getAttribute('aria-label') ?? el?.textContent ?? '').trim(), inDialog: !!el?.closest('dialog') };
  });
}

/** An open dialog by its heading (closed dialogs keep their fields in the DOM, with the same labels). */
function dialog(name: string) {
  return page.getByRole('dialog', { name });
}

async function logIn(name: string, password: string): Promise<void> {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test('the admin page is its own build, kept out of the precache, and the app\'s service worker leaves it alone', async () => {
  const sw = await readFile(path.join(distClient, 'sw.js'), 'utf8');
  assert.ok(!sw.includes('admin/index.html'), 'admin/index.html is not precached');
  // The app installs its worker first: /admin must still come from the server as the panel, not the app's shell.
  await page.goto(t.server.url);
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated', null, { timeout: 10_000 });
  const response = await page.goto(new URL('/admin', t.server.url).toString());
  assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the page is in the worker\'s scope');
  assert.equal(response?.status(), 200);
  assert.equal(await page.locator('voice-app').count(), 0, 'not the app');
  assert.match(response?.headers()['content-security-policy'] ?? '', /style-src 'self'/);
  assert.match(await page.title(), /admin/);
  await page.getByRole('heading', { name: 'Log in to the admin panel' }).waitFor({ timeout: 10_000 });
});

test('wrong credentials say so', async () => {
  await logIn('admin', 'not the password');
  await page.getByRole('alert').filter({ hasText: 'Wrong name or password.' }).waitFor({ timeout: 10_000 });
  await shot('login-error.png');
});

/** The value of the panel's figure labelled `label` (its first <dd>). */
function figure(label: string) {
  return page.locator('.figure').filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd').first();
}

/** "12 s" / "3 min" / "1 h 5 min" as the least number of seconds it stands for. */
function shownSeconds(text: string): number {
  const units: Record<string, number> = { d: 86_400, h: 3600, min: 60, s: 1 };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+) (d|h|min|s)\b/g)) total += Number(n) * units[unit!]!;
  return total;
}

test('log in, see who is online and the live figures: datagrams in and out per second, drops by reason, uptime', async () => {
  nia = await t.client('node-nia');
  await logIn('admin', ADMIN_PASSWORD);
  await page.getByRole('heading', { name: /^Online/ }).waitFor({ timeout: 10_000 });
  const row = page.locator('tr[data-nickname="node-nia"]');
  await row.waitFor({ timeout: 5000 });
  assert.match((await row.textContent()) ?? '', /Lobby/);
  assert.ok((await page.evaluate(() => sessionStorage.getItem('voice-app.admin-token')))?.includes('"token"'), 'the token is in sessionStorage');

  // One datagram too short for a header: the relay drops it as malformed, and the panel lists it by reason.
  assert.ok(nia.sendDatagram(new Uint8Array(3)), 'the junk datagram went out');
  await waitFor(() => t.server.relay.counters.drops.malformed === 1, 5000, 'the relay counted the malformed datagram');
  const malformed = page.locator('tr').filter({ has: page.locator('td[data-label="Reason"]', { hasText: /^malformed$/ }) });
  await malformed.locator('td[data-label="Since start"]', { hasText: /^1$/ }).waitFor({ timeout: 8000 });

  // Rates need two polls (2 s apart): then datagrams in and out are per-second figures.
  const rate = /^\d[\d,]*(\.\d)?\/s$/;
  await waitFor(async () => rate.test((await figure('Datagrams in').textContent()) ?? ''), 8000, 'a datagrams-in rate');
  assert.match((await figure('Datagrams out').textContent()) ?? '', rate, 'a datagrams-out rate');
  assert.match((await malformed.locator('td[data-label="Per second"]').textContent()) ?? '', /^(\d[\d,]*(\.\d)?\/s|–)$/, 'the drop\'s rate');
  // Uptime: what the server says, give or take a poll.
  const uptime = (await figure('Uptime').textContent()) ?? '';
  const actual = t.server.stats().uptimeSeconds;
  const shown = shownSeconds(uptime);
  assert.ok(/^\d+ (s|min|h)/.test(uptime) && shown <= actual && actual - shown < (uptime.endsWith(' s') ? 10 : 70), `uptime "${uptime}" for ${actual} s`);

  // Nothing forwarded yet: no relay hold. Once nia talks to a listener, its p99 over the last poll, in ms.
  assert.equal(await figure('Relay hold p99').textContent(), '–');
  const ned = await t.client('node-ned');
  const talk = setInterval(() => nia.sendVoice(new Uint8Array(60)), 20);
  try {
    // Read from histogram buckets: "at most" the upper edge of the p99's bucket.
    await waitFor(async () => /^≤ \d+(\.\d+)? ms$/.test((await figure('Relay hold p99').textContent()) ?? ''), 10_000, 'a relay hold figure');
    // The relay's threads: one row per shard, its CPU as a share of a core over the last poll.
    const threads = page.locator('table.shards tbody tr');
    assert.equal(await threads.count(), t.server.relay.threads);
    const carrier = threads.filter({ has: page.locator('td[data-label="Members"]', { hasText: /^2$/ }) });
    await waitFor(async () => /^\d+(\.\d)? %$/.test((await carrier.locator('td[data-label="CPU"]').textContent()) ?? ''), 8000, 'a CPU share for the thread carrying nia and ned');
    assert.match((await carrier.locator('td[data-label="Out"]').textContent()) ?? '', rate);
    assert.equal(await carrier.locator('td[data-label="State"]').textContent(), 'running');
  } finally {
    clearInterval(talk);
  }
  await shot('online.png');
  await shot('online-360.png', 360);
  ned.close();
});

test('keyboard: a dialog opens on Enter, keeps Tab inside, closes on Escape and gives focus back', async () => {
  const kick = page.getByRole('button', { name: 'Kick node-nia' });
  await kick.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Kick node-nia' }).waitFor();
  assert.equal((await focused()).id, 'kick-reason', 'focus starts in the reason field');
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    assert.ok((await focused()).inDialog, `Tab ${i + 1} stays in the dialog`);
  }
  await page.keyboard.press('Shift+Tab');
  assert.ok((await focused()).inDialog, 'Shift+Tab stays in the dialog');
  await page.keyboard.press('Escape');
  await page.getByRole('heading', { name: 'Kick node-nia' }).waitFor({ state: 'hidden' });
  assert.equal((await focused()).text, 'Kick node-nia', 'focus is back on the Kick button');
});

test('kick: the row goes, the client is told it was kicked, the server session is gone and nothing reconnects', async () => {
  const closed = closedWith(nia);
  const states: string[] = [];
  nia.on('state', (s) => states.push(s));
  await page.getByRole('button', { name: 'Kick node-nia' }).click();
  await dialog('Kick node-nia').getByLabel('Reason (optional)').fill('calm down');
  await shot('kick-dialog.png');
  await dialog('Kick node-nia').getByRole('button', { name: 'Kick', exact: true }).click();
  await withTimeout(closed, 5000, 'node-nia closed');
  assert.equal(nia.denial?.type, 'removed');
  assert.equal(nia.denial?.type === 'removed' && nia.denial.reason, 'kicked');
  assert.match(nia.denial?.message ?? '', /calm down/);
  await page.locator('tr[data-nickname="node-nia"]').waitFor({ state: 'detached', timeout: 5000 });
  await page.getByText('Kicked node-nia.').waitFor();
  await waitFor(() => sessionByNickname(t, 'node-nia') === undefined, 5000, 'the server session is gone');
  await shot('kicked.png');
  // The client is closed: a reconnect would start within 100 ms (the first resume backoff); watch ten times that.
  await sleep(1000);
  assert.deepEqual(states, ['closed'], 'no reconnect after a kick');
  assert.equal(nia.state, 'closed');
  assert.equal(sessionByNickname(t, 'node-nia'), undefined, 'and no new session');
});

test('ban by account from the row, then lift it', async () => {
  const rita = await connectClient(t, 'reg-rita', { password: 'client password 1', register: true });
  const closed = closedWith(rita);
  await page.getByRole('button', { name: 'Ban reg-rita' }).click();
  const ban = dialog('Ban reg-rita');
  await ban.waitFor();
  assert.equal(await ban.getByLabel('Address or range to ban').inputValue(), sessionByNickname(t, 'reg-rita')!.address);
  assert.ok(await ban.getByLabel('Account reg-rita').isChecked(), 'a registered user can be banned by account');
  await ban.getByLabel('Address or range', { exact: true }).uncheck();
  assert.ok(await ban.getByLabel('Address or range to ban').isDisabled());
  await ban.getByLabel('Duration').selectOption({ label: '1 hour' });
  await ban.getByLabel('Reason (optional)').fill('spam');
  await shot('ban-dialog-360.png', 360);
  await ban.getByRole('button', { name: 'Ban', exact: true }).click();
  await withTimeout(closed, 5000, 'reg-rita closed');
  assert.equal(rita.denial?.type === 'removed' && rita.denial.reason, 'banned');

  await page.getByRole('link', { name: 'Bans' }).click();
  const row = page.locator('tr', { hasText: 'reg-rita' });
  await row.waitFor({ timeout: 5000 });
  assert.match((await row.textContent()) ?? '', /spam/);
  await shot('bans.png');
  await page.getByRole('button', { name: 'Lift the ban on reg-rita' }).click();
  await row.waitFor({ state: 'detached', timeout: 5000 });
});

test('an address range ban: a bad address is named next to the field, a good one is listed and lifted', async () => {
  const form = page.getByRole('region', { name: 'Ban an address or range' });
  const address = form.getByLabel('Address or range', { exact: true });
  await address.fill('not-an-address');
  await form.getByRole('button', { name: 'Add ban' }).click();
  await form.locator('#add-ban-address-error').waitFor({ timeout: 5000 });
  assert.equal(await address.getAttribute('aria-invalid'), 'true');
  await shot('bans-field-error-360.png', 360);
  await address.fill('198.51.100.0/24');
  await form.getByRole('button', { name: 'Add ban' }).click();
  const row = page.locator('tr', { hasText: '198.51.100.0/24' });
  await row.waitFor({ timeout: 5000 });
  await page.getByRole('button', { name: 'Lift the ban on 198.51.100.0/24' }).click();
  await row.waitFor({ state: 'detached', timeout: 5000 });
});

test('channels: create, edit, delete with confirmation', async () => {
  await page.getByRole('link', { name: 'Channels' }).click();
  await page.getByRole('button', { name: 'New channel' }).click();
  const create = dialog('New channel');
  await create.getByLabel('Name', { exact: true }).fill('Raid');
  await create.getByLabel('Parent').selectOption({ label: 'Lobby' });
  await create.getByLabel('User limit').fill('10');
  await create.getByLabel('Password', { exact: true }).selectOption('set');
  await create.getByLabel('New password').fill('hunter22');
  await shot('channel-dialog.png');
  await create.getByRole('button', { name: 'Create' }).click();
  const raid = page.locator('li[data-channel="Raid"]');
  await raid.waitFor({ timeout: 5000 });
  const made = t.server.channels.list().find((c) => c.name === 'Raid');
  assert.ok(made && made.maxUsers === 10 && made.locked, 'the server has Raid, limited and locked');

  await page.getByRole('button', { name: 'Edit Raid' }).click();
  const edit = dialog('Edit Raid');
  await edit.getByLabel('Bitrate (kbit/s)').fill('32');
  await edit.getByLabel('Password', { exact: true }).selectOption('clear');
  await edit.getByRole('button', { name: 'Save' }).click();
  await waitFor(() => {
    const c = t.server.channels.get(made.id);
    return c?.config.bitrate === 32_000 && !c.locked;
  }, 5000, 'Raid at 32 kbit/s without a password');
  await page.locator('li[data-channel="Raid"]', { hasText: '32 kbit/s' }).waitFor({ timeout: 5000 });
  await shot('channels.png');
  await shot('channels-360.png', 360);

  await page.getByRole('button', { name: 'Delete Raid' }).click();
  await page.getByRole('alertdialog').waitFor();
  assert.equal((await focused()).text, 'Cancel', 'the confirmation starts on Cancel');
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await raid.waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(t.server.channels.get(made.id), undefined);
});

test('users: create a moderator, who sees a narrower panel; role change; delete', async () => {
  await page.getByRole('link', { name: 'Users' }).click();
  const form = page.getByRole('region', { name: 'New account' });
  await form.getByLabel('Name', { exact: true }).fill('mod-mia');
  await form.getByLabel('Password', { exact: true }).fill('moderator password');
  await form.getByLabel('Role', { exact: true }).selectOption('moderator');
  await form.getByRole('button', { name: 'Create account' }).click();
  await page.locator('tr[data-user="mod-mia"]').waitFor({ timeout: 5000 });
  await shot('users.png');
  await shot('users-360.png', 360);

  // The moderator: online list and bans, no channels or users.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByText('You have logged out.').waitFor();
  await logIn('mod-mia', 'moderator password');
  await page.getByRole('heading', { name: /^Online/ }).waitFor({ timeout: 10_000 });
  assert.equal(await page.getByRole('link', { name: 'Channels' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
  await page.getByRole('button', { name: 'Log out' }).click();

  await logIn('admin', ADMIN_PASSWORD);
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByLabel('Role of mod-mia').selectOption('member');
  await page.getByText('mod-mia is now member.').waitFor({ timeout: 5000 });
  await page.getByRole('button', { name: 'Delete mod-mia' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await page.locator('tr[data-user="mod-mia"]').waitFor({ state: 'detached', timeout: 5000 });
});

test('a token the server refuses goes back to the login form with "session expired"', async () => {
  await page.evaluate(() => {
    const key = 'voice-app.admin-token';
    const stored = JSON.parse(sessionStorage.getItem(key)!) as { token: string; expiresAt: number };
    sessionStorage.setItem(key, JSON.stringify({ ...stored, token: `${stored.token.slice(0, -4)}AAAA` }));
  });
  await page.reload();
  await page.getByText('Your session expired. Log in again.').waitFor({ timeout: 10_000 });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('voice-app.admin-token')), null);
});

test('a banned account is told why; a member is told the panel is not for them', async () => {
  const asAdmin = apiClient(t.server.url, (await apiLogin(t.server.url, 'admin', ADMIN_PASSWORD)).token);
  const users = await asAdmin<{ users: ApiUser[] }>('GET', '/api/users');
  assert.equal(users.status, 200, users.text);
  const rita = users.body.users.find((u) => u.name === 'reg-rita')!;

  await logIn('reg-rita', 'client password 1');
  await page.getByText('The member role cannot use the admin panel.').waitFor({ timeout: 10_000 });
  await page.getByRole('button', { name: 'Log out' }).click();

  const ban = await asAdmin('POST', '/api/ban', { json: { userId: rita.id, reason: 'spam', durationSeconds: 3600 } });
  assert.equal(ban.status, 201, ban.text);
  await logIn('reg-rita', 'client password 1');
  await page.getByRole('alert').filter({ hasText: /^You are banned from this server until .*: spam\.$/ }).waitFor({ timeout: 10_000 });
  await shot('login-banned-360.png', 360);
});

// Last: it blocks logins from 127.0.0.1 for five minutes.
test('too many failed logins: the address is blocked and the form says for how long', async () => {
  for (let i = 0; i < 10; i++) {
    await logIn('nobody', `guess ${i}`);
    await page.getByRole('alert').filter({ hasText: /Wrong name or password|Too many/ }).waitFor({ timeout: 10_000 });
  }
  await logIn('admin', ADMIN_PASSWORD);
  await page.getByRole('alert').filter({ hasText: /^Too many failed logins .* Try again in [45] min\.$/ }).waitFor({ timeout: 10_000 });
  await shot('login-rate-limited.png');
  assert.deepEqual(pageErrors, [], 'no page errors');
  assert.deepEqual(cspReports, [], 'nothing refused by the CSP');
});

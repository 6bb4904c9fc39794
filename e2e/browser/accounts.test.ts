/**
 * Accounts in real Chromium against the real server: registering a name from
 * the connect form, logging in with a wrong and a right password, a guest
 * refused a registered name, a kick through the admin API that stays on
 * screen with nothing reconnecting, stored chat shown as history and merged
 * with live chat, and channel changes made through the admin API arriving
 * live (a role badge, a refused join, a new bitrate the page's encoder
 * follows). Screenshots of the refusal and the kick go to test-results/ (and
 * to $VOICE_SHOTS_DIR when set).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { apiClient, apiLogin, sessionByNickname, startTestServer, sleep, tokenOf, waitFor, withTimeout, type TestServer } from '../integration/harness.ts';
import { launchChromium, type Browser } from './chromium.ts';
import { fakeMicArgs, screenshot, seedSettings, watchAttribute } from './app-driver.ts';
import { encodeWav } from '../../shared/audio/wav.ts';
import { createVoiceHeader, readVoiceHeader } from '../../shared/voice/voice-header.ts';

const ADMIN_PASSWORD = 'admin-pass-for-tests';
let t: TestServer;
let browser: Browser;
let dir: string;

before(async () => {
  t = await startTestServer({ VOICE_ADMIN_PASSWORD: ADMIN_PASSWORD });
  dir = await mkdtemp(path.join(tmpdir(), 'voice-app-accounts-'));
  // Noise keeps Opus near its target bitrate, so the datagram size shows the bitrate in use.
  let seed = 1;
  const noise = Float32Array.from({ length: 4 * 48_000 }, () => {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    return 0.25 * (seed / 0x1_0000_0000 - 0.5);
  });
  await writeFile(path.join(dir, 'noise.wav'), encodeWav(noise, 48_000));
  browser = await launchChromium(fakeMicArgs(path.join(dir, 'noise.wav')));
});
after(async () => {
  await browser?.close();
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// ---- the admin API, as a script would use it ------------------------------------------

/** One admin API call as the admin (logged in once); asserts a 2xx answer and returns its body. */
let asAdmin: ReturnType<typeof apiClient> | null = null;
async function admin<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
  asAdmin ??= apiClient(t.server.url, (await apiLogin(t.server.url, 'admin', ADMIN_PASSWORD)).token);
  const r = await asAdmin<T>(method, route, body === undefined ? {} : { json: body });
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${route}: ${r.status} ${r.text}`);
  return r.body;
}

// ---- the connect form -------------------------------------------------------------------

async function fillConnect(page: Page, nickname: string, password: string, register = false): Promise<void> {
  if (!page.url().startsWith(t.server.url)) await page.goto(t.server.url);
  await page.getByLabel('Nickname').fill(nickname);
  await page.getByLabel('Password (registered users)').fill(password);
  await page.getByLabel('Register this name').setChecked(register);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
}

const connected = (page: Page) => page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 15_000 });
const problem = (page: Page, text: string | RegExp) => page.locator('connect-view .problem').filter({ hasText: text });

test('register a name, log in with a wrong and a right password; a guest cannot take the name', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(t.server.url);

  // Too short to register: the form says so and nothing is sent.
  await fillConnect(page, 'rita', 'short', true);
  await page.getByRole('alert').filter({ hasText: 'at least 8 characters' }).waitFor({ timeout: 5000 });
  assert.equal(sessionByNickname(t, 'rita'), undefined);

  await fillConnect(page, 'rita', 'rita-secret-1', true);
  await connected(page);
  await page.locator('[data-user="rita"][data-registered="true"]').waitFor({ timeout: 5000 });
  await page.locator('[data-user="rita"]', { hasText: 'registered' }).waitFor({ timeout: 5000 });
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByLabel('Nickname').waitFor({ timeout: 5000 });

  // Wrong password: the refusal in words, and the page stays on the form.
  await fillConnect(page, 'rita', 'not-her-password');
  await problem(page, 'Wrong name or password').waitFor({ timeout: 10_000 });
  await screenshot(page, 'accounts-wrong-password.png');
  await page.locator('voice-app[data-session-state="idle"]').waitFor({ timeout: 5000 });
  // A retry would start within 100 ms (the first resume backoff); 3 s covers the first four.
  const states = await watchAttribute(page, 'voice-app', 'data-session-state');
  await sleep(3000);
  assert.deepEqual(await states.values(), [], 'no retry after a refusal: the session state never leaves idle');
  assert.equal(await page.getByLabel('Register this name').isChecked(), false);

  // Right password: in, shown as registered; the server has her as a member.
  await fillConnect(page, 'rita', 'rita-secret-1');
  await connected(page);
  await page.locator('[data-user="rita"][data-registered="true"]').waitFor({ timeout: 5000 });
  const rita = sessionByNickname(t, 'rita');
  assert.equal(rita?.role, 'member');

  // A guest asking for her name is sent to log in instead.
  const guest = await browser.context.newPage();
  await fillConnect(guest, 'rita', '');
  await problem(guest, '“rita” is a registered name. Enter its password to log in').waitFor({ timeout: 10_000 });
  await screenshot(guest, 'accounts-name-registered.png');
  await screenshot(guest, 'accounts-name-registered-360.png', { width: 360 }); // the refusal fits 360 px

  // An admin is shown as one to the others.
  await fillConnect(guest, 'admin', ADMIN_PASSWORD);
  await connected(guest);
  await page.locator('[data-user="admin"][data-role="admin"]', { hasText: 'admin' }).waitFor({ timeout: 5000 });
  await guest.close();
  await page.getByRole('button', { name: 'Disconnect' }).click();
  assert.deepEqual(errors, [], 'no page errors');
  await page.close();
});

test('kicked through the admin API: the message stays and nothing reconnects', async () => {
  const page = await browser.context.newPage();
  await fillConnect(page, 'kim', '');
  await connected(page);
  const kim = tokenOf(t, 'kim');

  await admin('POST', '/api/kick', { sessionToken: kim, reason: 'calm down' });
  await problem(page, 'Removed from the server by admin. You were kicked: calm down.').waitFor({ timeout: 5000 });
  await screenshot(page, 'accounts-kicked.png');
  await sleep(3000);
  assert.equal(await problem(page, 'Removed from the server by admin. You were kicked: calm down.').count(), 1, 'the message is still there');
  assert.equal(await page.locator('voice-app').getAttribute('data-session-state'), 'idle');
  assert.equal(sessionByNickname(t, 'kim'), undefined, 'no new session: nothing reconnected');
  await page.close();
});

test('chat history: stored lines shown as history, live ones after them, each once; per channel', async () => {
  const node = await t.client('node-nia', { waitVoice: false });
  // The server echoes a line to its sender once it is stored: only then may the page join (else it arrives live).
  const stored = new Promise<void>((resolve) => node.on('message', (m) => m.type === 'chat' && m.text === 'said before you came' && resolve()));
  node.sendChat('said before you came');
  await withTimeout(stored, 5000, 'the line stored and echoed');
  const page = await browser.context.newPage();
  await fillConnect(page, 'hana', '');
  await connected(page);
  const line = (text: string) => page.locator('chat-panel .log li', { hasText: text });
  await page.locator('chat-panel .log li.history', { hasText: 'said before you came' }).waitFor({ timeout: 5000 });

  node.sendChat('said while you are here');
  await page.locator('chat-panel .log li:not(.history)', { hasText: 'said while you are here' }).waitFor({ timeout: 5000 });
  assert.equal(await line('said before you came').count(), 1);

  // Music has no history; back in the Lobby, both lines are history, once each.
  await page.getByRole('button', { name: /^Music/ }).click();
  await page.getByRole('heading', { name: 'Music' }).waitFor({ timeout: 5000 });
  // A barrier: the page's own line comes back from the server after Music's (empty) history, so once it
  // shows, everything the server sent for Music has been rendered, and only that line may be in the log.
  await page.getByLabel('Message').fill('first words in Music');
  await page.getByRole('button', { name: 'Send' }).click();
  await line('first words in Music').waitFor({ timeout: 5000 });
  const music = await page.locator('chat-panel .log li').allTextContents();
  assert.equal(music.length, 1, `Music shows only its own line: ${JSON.stringify(music)}`);
  assert.match(music[0]!, /first words in Music/);
  await page.getByRole('button', { name: /^Lobby/ }).click();
  await page.getByRole('heading', { name: 'Lobby' }).waitFor({ timeout: 5000 });
  await page.locator('chat-panel .log li.history', { hasText: 'said while you are here' }).waitFor({ timeout: 5000 });
  assert.equal(await line('said before you came').count(), 1);
  assert.equal(await line('said while you are here').count(), 1);
  node.sendChat('and one more, live');
  await page.locator('chat-panel .log li.divider').waitFor({ timeout: 5000 });
  await screenshot(page, 'accounts-chat-history.png');
  await page.close();
  node.close();
});

test('channel changes arrive live: a role badge, a refused join in words, a new bitrate the encoder follows', async () => {
  const page = await browser.context.newPage();
  await seedSettings(page, t.server.url, { echoCancellation: false, noiseSuppression: false, autoGainControl: false, mode: 'vad', vadThresholdDb: -60 });
  const listener = await t.client('listener');
  const sizes: { at: number; bytes: number }[] = [];
  const h = createVoiceHeader();
  let pat = 0;
  listener.on('datagram', (d) => {
    if (readVoiceHeader(d, h) === null && h.kind === 'voice' && h.token === pat) sizes.push({ at: Date.now(), bytes: d.byteLength });
  });
  await fillConnect(page, 'pat', '');
  await connected(page);
  await page.locator('[data-voice="open"]').waitFor({ timeout: 15_000 });
  pat = tokenOf(t, 'pat');

  // Gaming becomes members-only: the badge appears, a guest's click is refused with the server's words.
  await admin('PATCH', '/api/channels/2', { requiredRole: 'member' });
  await page.locator('[data-channel="Gaming"] .role-badge', { hasText: 'members' }).first().waitFor({ timeout: 5000 });
  await page.getByRole('button', { name: /^Gaming/ }).click();
  await page.getByRole('alert').filter({ hasText: "Can't join Gaming" }).filter({ hasText: /member/i }).waitFor({ timeout: 5000 });
  assert.equal(await page.getByRole('dialog').count(), 0, 'no password dialog');
  await screenshot(page, 'accounts-role-badge.png');

  // A new channel appears, then goes.
  const { channel } = await admin<{ channel: { id: number } }>('POST', '/api/channels', { name: 'Pop-up', parentId: 1 });
  await page.getByRole('button', { name: /^Pop-up/ }).waitFor({ timeout: 5000 });
  await admin('DELETE', `/api/channels/${channel.id}`);
  await page.getByRole('button', { name: /^Pop-up/ }).waitFor({ state: 'detached', timeout: 5000 });

  // The Lobby's bitrate goes from 16 to 64 kbps: the page's frames grow.
  const median = (since: number, until: number): number => {
    const b = sizes.filter((s) => s.at >= since && s.at < until).map((s) => s.bytes).sort((x, y) => x - y);
    assert.ok(b.length >= 20, `enough frames from pat (${b.length})`);
    return b[b.length >> 1]!;
  };
  await waitFor(() => sizes.length >= 40, 10_000, 'frames from pat');
  const before = Date.now();
  const low = median(before - 1500, before);
  await admin('PATCH', '/api/channels/1', { bitrate: 64_000 });
  await sleep(1000);
  const from = Date.now();
  await sleep(1500);
  const high = median(from, Date.now());
  assert.ok(high > low * 2, `frames at 64 kbps (${high} B) are over twice those at 16 kbps (${low} B)`);
  listener.close();
  await page.close();
});

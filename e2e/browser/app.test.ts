/**
 * The built client in real Chromium against a real server: the page is
 * crossOriginIsolated, the same VoiceSession code connects over the browser's
 * own WebSocket and RTCPeerConnection, the voice lane to werift opens and
 * echoes pings, presence and chat flow both ways with a Node client; the
 * user menu remembers per-person volume and mute, self mute/deafen reach the
 * others, and a network drop (both lanes) shows the reconnecting banner and resumes
 * on a new peer connection.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sessionByNickname, startTestServer, waitFor, withTimeout, type TestServer } from '../integration/harness.ts';
import { launchChromium, type Browser } from './chromium.ts';
import { screenshot, watchForText } from './app-driver.ts';

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

test('connect from Chromium: isolated page, voice lane open, presence and chat with a Node client', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const response = await page.goto(t.server.url);
  assert.equal(response?.status(), 200);
  assert.equal(response?.headers()['cross-origin-embedder-policy'], 'require-corp');
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the page is crossOriginIsolated');

  await page.getByLabel('Nickname').fill('browser-bea');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('status').filter({ hasText: 'connected' }).waitFor({ timeout: 10_000 });
  await page.locator('[data-voice="open"]').waitFor({ timeout: 15_000 });
  await page.getByText(/UDP \d+ ms/).waitFor({ timeout: 10_000 });

  const bea = sessionByNickname(t, 'browser-bea');
  assert.ok(bea, 'the server has the browser session');
  assert.ok(bea.peer?.isOpen, 'its werift peer is open');
  assert.ok(t.server.relay.counters.pingsEchoed >= 1, 'the relay echoed the browser\'s voice-lane ping');

  // A Node client arrives, chats; the browser sees both.
  const node = await t.client('node-nia');
  await page.locator('.users li', { hasText: 'node-nia' }).waitFor({ timeout: 5000 });
  node.sendChat('hi from node');
  await page.locator('.log li', { hasText: 'hi from node' }).waitFor({ timeout: 5000 });

  // The browser chats back; the Node client gets it with the browser's name.
  const got = new Promise<string>((resolve) => node.on('message', (m) => m.type === 'chat' && m.sender.nickname === 'browser-bea' && resolve(m.text)));
  await page.getByLabel('Message').fill('hello node');
  await page.getByRole('button', { name: 'Send' }).click();
  assert.equal(await withTimeout(got, 5000, 'chat from the browser'), 'hello node');

  // Screenshot of the main view, for people to look at.
  await screenshot(page, 'main-view.png');

  // The user menu: volume and local mute for node-nia, remembered by nickname.
  await page.locator('[data-user="node-nia"]').click();
  await page.getByLabel('Volume for node-nia').fill('50');
  await page.getByLabel('Mute node-nia').check();
  await page.locator('[data-user="node-nia"]', { hasText: 'silenced for you' }).waitFor({ timeout: 5000 });
  const prefs = await page.evaluate(() => JSON.parse(localStorage.getItem('voice-app.user-prefs') ?? '{}') as unknown);
  assert.deepEqual(prefs, { 'node-nia': { volume: 50, muted: true } });
  await screenshot(page, 'user-menu.png');
  await page.keyboard.press('Escape');
  await page.getByLabel('Volume for node-nia').waitFor({ state: 'hidden', timeout: 5000 });

  // Self mute and deafen reach the others; deafen implies mute, undeafen restores the mute from before.
  const selfState = () => node.roster.users.get(bea.token);
  await page.getByRole('button', { name: 'Mute', exact: true }).click();
  await waitFor(() => selfState()?.selfMute === true && !selfState()?.selfDeaf, 5000, 'node sees the browser muted');
  await page.getByRole('button', { name: 'Deafen', exact: true }).click();
  await waitFor(() => selfState()?.selfDeaf === true && selfState()?.selfMute === true, 5000, 'node sees the browser deafened');
  await page.getByRole('button', { name: 'Undeafen', exact: true }).click();
  await waitFor(() => selfState()?.selfDeaf === false && selfState()?.selfMute === true, 5000, 'undeafen keeps the earlier mute');
  await page.getByRole('button', { name: 'Unmute', exact: true }).click();
  await waitFor(() => selfState()?.selfMute === false, 5000, 'node sees the browser unmuted');

  // Both lanes drop, as in a network failure: a reconnecting banner, then the same session in the same
  // channel with its voice lane on a new peer connection (resume.test.ts does the same to the Node client).
  const old = t.server.sessions.get(bea.token)?.peer;
  assert.ok(old?.isOpen, 'the browser\'s peer is open before the drop');
  const banner = await watchForText(page, 'Reconnecting…');
  old.close();
  t.server.control.connectionOf(bea.token)!.terminate();
  // The banner may be up for only ~100 ms (the first resume try); the watcher sees it however short.
  await waitFor(() => banner.seen(), 5000, 'the "Reconnecting…" banner');
  await page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor({ state: 'hidden', timeout: 15_000 });
  await page.getByRole('status').filter({ hasText: 'connected' }).waitFor({ timeout: 5000 });
  assert.equal(sessionByNickname(t, 'browser-bea')?.token, bea.token, 'same session after the resume');
  await waitFor(() => {
    const peer = t.server.sessions.get(bea.token)?.peer;
    return peer !== undefined && peer !== null && peer !== old && peer.isOpen;
  }, 15_000, 'the server has a new open peer connection for the browser');
  assert.equal(old.isOpen, false, 'the old peer stays closed');
  await page.locator('[data-voice="open"]').waitFor({ timeout: 15_000 });
  // Only the page pings on the voice lane (every 2 s): an echo now went out on the new peer connection.
  const echoed = t.server.relay.counters.pingsEchoed;
  await waitFor(() => t.server.relay.counters.pingsEchoed > echoed, 8000, 'a voice-lane ping from the page echoed after the resume');
  await page.getByRole('heading', { name: 'Lobby' }).waitFor({ timeout: 5000 });

  // Moving channels from the browser: the Node client sees it.
  await page.getByRole('button', { name: /Music/ }).click();
  await waitFor(() => node.roster.users.get(bea.token)?.channelId === 3, 5000, 'node sees the browser move to Music');
  await page.getByRole('heading', { name: 'Music' }).waitFor({ timeout: 5000 });
  assert.deepEqual(errors, [], 'no page errors');
});

/**
 * Voice between two real Chromium pages through the real server, proven from
 * what each page plays (its output signal), not from counters alone. A's
 * microphone is a steady 440 Hz tone; B's is 660 Hz that stops every 1.5 s
 * (voice activation must stop sending in the gaps). Both fake microphones are
 * WAV files written here, not committed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { sessionByNickname, startTestServer, sleep, tokenOf, waitFor, type TestServer } from '../integration/harness.ts';
import { launchChromium, type Browser } from './chromium.ts';
import { connectPage, fakeMicArgs, outputTap, rms, screenshot, seedSettings, toneShare, watchForSilence, watchForText } from './app-driver.ts';
import { encodeWav } from '../../shared/audio/wav.ts';
import { VoiceEncoder } from '../../shared/audio/opus-codec.ts';
import { readVoiceHeader, createVoiceHeader } from '../../shared/voice/voice-header.ts';
import type { VoiceSession } from '../../client/net/voice-session.ts';

const SR = 48_000;
let t: TestServer;
let dir: string;
let A: Browser;
let B: Browser;
let pa: Page;
let pb: Page;
let listener: VoiceSession;
/** Arrival times (ms) of datagrams the Node listener got, per sender token. */
const heard = new Map<number, number[]>();

function tone(seconds: number, hz: number, on: (t: number) => boolean = () => true): Float32Array {
  return Float32Array.from({ length: seconds * SR }, (_, i) => (on(i / SR) ? 0.3 * Math.sin((2 * Math.PI * hz * i) / SR) : 0));
}

/** Voice datagrams the server has taken in so far (everything but voice-lane pings and keep-alives). */
function serverVoiceIn(): number {
  const c = t.server.relay.counters;
  return c.datagramsIn - c.pingsEchoed - c.keepalives;
}

function datagramsFrom(token: number, sinceMs: number): number {
  return (heard.get(token) ?? []).filter((at) => at >= sinceMs).length;
}

/** Polls a page's output until `check` passes (the output tap holds the last ~0.68 s). */
async function untilOutput(page: Page, what: string, check: (x: Float32Array) => boolean, ms = 8000): Promise<Float32Array> {
  const deadline = Date.now() + ms;
  let last: Float32Array = new Float32Array(0);
  while (Date.now() < deadline) {
    last = await outputTap(page);
    if (check(last)) return last;
    await sleep(250);
  }
  assert.fail(`${what}: not seen in ${ms} ms (rms ${rms(last).toFixed(4)}, 440 Hz share ${toneShare(last, 440).toFixed(2)}, 660 Hz share ${toneShare(last, 660).toFixed(2)})`);
}

/**
 * B's tone at A, judged on the last 0.3 s of a tap: B's 660 Hz is on for ~1.8 s
 * of every 3 s (1.5 s plus the hang-over), so a whole 0.68 s tap often straddles
 * a silence, and a tone share counts only the part of the tap the tone covers.
 */
function hearsB(x: Float32Array): boolean {
  const recent = x.subarray(Math.max(0, x.length - Math.round(0.3 * SR)));
  return toneShare(recent, 660) > 0.8 && rms(recent) > 0.05;
}

/** Median output level over taps spaced past the tap length (so they do not overlap). */
async function meanLevel(page: Page, taps = 5): Promise<number> {
  const levels: number[] = [];
  for (let i = 0; i < taps; i++) {
    levels.push(rms(await outputTap(page)));
    await sleep(700);
  }
  if (process.env['VOICE_TEST_DEBUG']) process.stderr.write(`levels ${levels.map((l) => l.toFixed(4)).join(' ')}\n`);
  return levels.sort((a, b) => a - b)[Math.floor(taps / 2)]!;
}

before(async () => {
  t = await startTestServer();
  dir = await mkdtemp(path.join(tmpdir(), 'voice-app-audio-'));
  await writeFile(path.join(dir, 'a.wav'), encodeWav(tone(10, 440), SR));
  // 1.5 s of 660 Hz, 1.5 s of digital silence, looped by Chromium.
  await writeFile(path.join(dir, 'b.wav'), encodeWav(tone(3, 660, (s) => s < 1.5), SR));
  await t.server.channels.update(t.server.db, 2, { password: 'hunter2' });
  A = await launchChromium(fakeMicArgs(path.join(dir, 'a.wav')));
  B = await launchChromium(fakeMicArgs(path.join(dir, 'b.wav')));
  pa = await A.context.newPage();
  pb = await B.context.newPage();
  const plain = { echoCancellation: false, noiseSuppression: false, autoGainControl: false, mode: 'vad' as const, vadThresholdDb: -50, vadHangoverMs: 300 };
  await seedSettings(pa, t.server.url, plain);
  await seedSettings(pb, t.server.url, plain);
  listener = await t.client('listener');
  const h = createVoiceHeader();
  listener.on('datagram', (d) => {
    if (readVoiceHeader(d, h) !== null || h.kind !== 'voice') return;
    const list = heard.get(h.token) ?? [];
    list.push(Date.now());
    heard.set(h.token, list);
  });
  await connectPage(pa, t.server.url, 'ada');
  await connectPage(pb, t.server.url, 'ben');
});

after(async () => {
  await A?.close();
  await B?.close();
  await t?.close();
  await rm(dir, { recursive: true, force: true });
});

test('two pages in one channel hear each other: B plays A\'s 440 Hz tone, A plays B\'s 660 Hz', async () => {
  assert.equal(await pa.evaluate(() => crossOriginIsolated), true);
  // The first seconds can be rough on a loaded machine: seen here, B's tone at A at full level but with a
  // 660 Hz share of only 0.2-0.7 for up to ~10 s (concealed frames while the adaptive buffer finds its
  // depth), then clean. So these first checks wait up to 20 s; the tone must still come through clean.
  const atB = await untilOutput(pb, 'A\'s tone at B', (x) => toneShare(x, 440) > 0.8 && rms(x) > 0.05, 20_000);
  assert.ok(toneShare(atB, 660) < 0.05, 'B does not hear itself');
  await untilOutput(pa, 'B\'s tone at A', hearsB, 20_000);
  await pb.locator('[data-user="ada"][data-speaking="true"]').waitFor({ timeout: 5000 });
  await screenshot(pb, 'audio-main-view.png');
});

test('voice activation: B\'s silent stretches send no datagrams, the tone between them sends without a break', async () => {
  const ben = tokenOf(t, 'ben');
  // b.wav loops 1.5 s of 660 Hz and 1.5 s of digital silence: with the 0.3 s hang-over, every 3 s
  // a ~1.2 s stretch with no datagram from B. Collect until two of them have been seen whole.
  const from = Date.now();
  const times = (): number[] => (heard.get(ben) ?? []).filter((at) => at >= from);
  const gaps = (): { start: number; ms: number }[] => {
    const t = times();
    return t.slice(1).map((at, i) => ({ start: t[i]!, ms: at - t[i]! }));
  };
  await waitFor(() => gaps().filter((g) => g.ms > 800).length >= 2, 12_000, 'two silent stretches from B');
  const all = gaps();
  const long = all.filter((g) => g.ms > 800);
  const [first, second] = long as [{ start: number; ms: number }, { start: number; ms: number }];
  const detail = `gaps over 100 ms: ${all.filter((g) => g.ms > 100).map((g) => `${g.ms}@${g.start - from}`).join(', ')}`;
  if (process.env['VOICE_TEST_DEBUG']) process.stderr.write(`${detail}\n`);
  for (const g of [first, second]) assert.ok(g.ms >= 1000 && g.ms <= 1600, `a silent stretch is 1.5 s less the hang-over: ${g.ms} ms (${detail})`);
  assert.ok(Math.abs(second.start - first.start - 3000) <= 300, `silent stretches 3 s apart, as in the WAV: ${second.start - first.start} ms (${detail})`);
  // Up to the end of the second stretch, every other gap is the 20 ms frame pace plus delivery jitter.
  const others = all.filter((g) => g.start <= second.start && g !== first && g !== second);
  const longestOther = Math.max(...others.map((g) => g.ms));
  assert.ok(longestOther < 200, `no other break in B's datagrams: longest ${longestOther} ms (${detail})`);
  // Between the two stretches: 1.5 s of tone plus the 0.3 s hang-over at 50 frames/s.
  const between = times().filter((at) => at > first.start && at <= second.start).length;
  assert.ok(between >= 80 && between <= 100, `${between} datagrams between the silent stretches (1.8 s at 50/s)`);
});

/**
 * Makes the Node listener talk: a steady tone at `hz` (one second encoded
 * once, looped), sent on a drift-free 20 ms schedule until `stop()`.
 */
async function listenerTalks(hz: number): Promise<{ stop(): void }> {
  const encoder = await VoiceEncoder.create(listener.channelConfig!);
  const second = tone(1, hz);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 50; i++) frames.push(encoder.encode(second.subarray(i * 960, (i + 1) * 960)));
  encoder.free();
  const start = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    while (sent * 20 <= performance.now() - start) listener.sendVoice(frames[sent++ % frames.length]!);
  }, 5);
  return { stop: () => clearInterval(timer) };
}

test('per-user volume 50 % on B halves A in B\'s output; local mute silences A only; deafen silences everyone', async () => {
  const full = await meanLevel(pb);
  assert.ok(full > 0.05, `A is heard at B (rms ${full.toFixed(3)})`);
  await pb.locator('[data-user="ada"]').click();
  await pb.getByLabel('Volume for ada').fill('50');
  // Once the change is heard (the level has dropped), the median of five taps.
  await untilOutput(pb, 'A quieter at B after the volume change', (x) => rms(x) < 0.75 * full);
  const half = await meanLevel(pb);
  assert.ok(Math.abs(half / full - 0.5) <= 0.05, `50 % volume: ${(half / full).toFixed(3)} of the level`);
  await pb.getByLabel('Volume for ada').fill('100');
  await pb.keyboard.press('Escape');

  // A second talker at B: the Node listener at 880 Hz, so that deafen is told apart from muting A.
  const second = await listenerTalks(880);
  try {
    await untilOutput(pb, 'both A (440 Hz) and the listener (880 Hz) at B', (x) => toneShare(x, 440) > 0.2 && toneShare(x, 880) > 0.2 && rms(x) > 0.05);
    await pb.locator('[data-user="ada"]').click();
    await pb.getByLabel('Mute ada').check();
    await untilOutput(pb, 'A locally muted at B, the listener still heard', (x) => toneShare(x, 440) < 0.02 && toneShare(x, 880) > 0.8 && rms(x) > 0.05);
    await pb.getByLabel('Mute ada').uncheck();
    await untilOutput(pb, 'A back at B', (x) => toneShare(x, 440) > 0.2 && toneShare(x, 880) > 0.2);
    await pb.keyboard.press('Escape');
    await pb.getByRole('button', { name: 'Deafen', exact: true }).click();
    await untilOutput(pb, 'B deafened: neither talker', (x) => rms(x) < 0.002);
    await pb.getByRole('button', { name: 'Undeafen', exact: true }).click();
    await untilOutput(pb, 'B undeafened hears both', (x) => toneShare(x, 440) > 0.2 && toneShare(x, 880) > 0.2);
  } finally {
    second.stop();
  }
  await untilOutput(pb, 'the listener has stopped', (x) => toneShare(x, 440) > 0.8);
});

/**
 * Waits until the server's voice intake has stopped growing (unchanged for
 * `quietMs`; fails if that never happens within `settleMaxMs`: a gate that never
 * closes never goes quiet), then requires it, and what is forwarded from
 * `token`, to stay at zero over the next `windowMs`.
 */
async function quietIntake(what: string, token: number, settleMaxMs = 5000, windowMs = 1000, quietMs = 300): Promise<void> {
  const deadline = Date.now() + settleMaxMs;
  let last = serverVoiceIn();
  let changedAt = Date.now();
  while (Date.now() - changedAt < quietMs) {
    if (Date.now() > deadline) assert.fail(`${what}: the server's voice intake still grows ${settleMaxMs} ms on`);
    await sleep(20);
    const now = serverVoiceIn();
    if (now !== last) {
      last = now;
      changedAt = Date.now();
    }
  }
  const from = Date.now();
  await sleep(windowMs);
  assert.equal(serverVoiceIn() - last, 0, `${what}: the server receives no voice datagram over ${windowMs} ms`);
  assert.equal(datagramsFrom(token, from), 0, `${what}: nothing forwarded`);
}

test('push-to-talk: key up, the server receives nothing from A; key down, B hears A', async () => {
  const ada = tokenOf(t, 'ada');
  // B self-mutes so that every voice datagram the server counts from here on is A's.
  await pb.getByRole('button', { name: 'Mute', exact: true }).click();
  await waitFor(() => sessionByNickname(t, 'ben')?.selfMute === true, 5000, 'ben self-muted');
  await pa.getByLabel('Push-to-talk').check();
  await pa.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await quietIntake('key up', ada);
  await untilOutput(pb, 'silence at B while A\'s key is up', (x) => rms(x) < 0.002);
  const intakeDown = serverVoiceIn();
  await pa.keyboard.down('Space');
  const down = Date.now();
  await untilOutput(pb, 'A at B with the key down', (x) => toneShare(x, 440) > 0.8);
  await waitFor(() => datagramsFrom(ada, down) >= 20, 5000, 'key down: at least 20 datagrams from A forwarded');
  assert.ok(serverVoiceIn() - intakeDown >= datagramsFrom(ada, down), 'the server took in at least what it forwarded');
  await pa.keyboard.up('Space');
  await quietIntake('key up again', ada);
  await pa.getByRole('radio', { name: 'Voice activation' }).check();
  await pb.getByRole('button', { name: 'Unmute', exact: true }).click();
});

/**
 * Requires a page's output to stay below `rms` 0.002 over `ms`, tapped at least
 * once a second (each tap holds ~0.68 s): B's tone is on for 1.5 s of every 3 s,
 * so over 3.5 s a tap lands in it if it is there.
 */
async function silentFor(page: Page, what: string, ms = 3500): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const at = Date.now();
    const x = await outputTap(page);
    assert.ok(rms(x) < 0.002, `${what}: rms ${rms(x).toFixed(4)}, 440 Hz share ${toneShare(x, 440).toFixed(2)}, 660 Hz share ${toneShare(x, 660).toFixed(2)}`);
    await sleep(Math.max(0, 500 - (Date.now() - at)));
  }
}

test('different channels do not hear each other, either way', async () => {
  const ben = tokenOf(t, 'ben');
  await untilOutput(pa, 'B\'s tone at A while both are in the Lobby', hearsB);
  await pb.getByRole('button', { name: /Music/ }).first().click();
  await pb.getByRole('heading', { name: 'Music' }).waitFor({ timeout: 5000 });
  await waitFor(() => t.server.sessions.get(ben)?.channelId === 3, 5000, 'ben in Music on the server');
  await untilOutput(pb, 'B in Music hears nothing of A in Lobby', (x) => rms(x) < 0.002);
  await untilOutput(pa, 'A in Lobby hears nothing of B in Music', (x) => rms(x) < 0.002);
  // Quiet now; it must stay so over more than one of B's 3 s on/off cycles, both ways, and the relay
  // forwards nothing of B's to the Lobby.
  const since = Date.now();
  await Promise.all([silentFor(pb, 'B in Music hears A in Lobby'), silentFor(pa, 'A in Lobby hears B in Music')]);
  assert.equal(datagramsFrom(ben, since), 0, 'the listener in the Lobby gets nothing from B in Music');
  await pb.getByRole('button', { name: /Lobby/ }).first().click();
  await untilOutput(pb, 'B back in Lobby hears A', (x) => toneShare(x, 440) > 0.8);
  await untilOutput(pa, 'A hears B back in Lobby', hearsB);
});

test('a locked channel asks for its password; a wrong one is refused with the reason, the right one lets in', async () => {
  await pb.getByRole('button', { name: /Gaming/ }).first().click();
  const dialog = pb.getByRole('dialog');
  await dialog.getByLabel(/password/i).fill('wrong');
  await dialog.getByRole('button', { name: /join/i }).click();
  await pb.getByText(/wrong password/i).first().waitFor({ timeout: 5000 });
  await pb.getByRole('button', { name: /Gaming/ }).first().click();
  await pb.getByRole('dialog').getByLabel(/password/i).fill('hunter2');
  await pb.getByRole('dialog').getByRole('button', { name: /join/i }).click();
  await pb.getByRole('heading', { name: 'Gaming' }).waitFor({ timeout: 5000 });
  await waitFor(() => sessionByNickname(t, 'ben')?.channelId === 2, 5000, 'ben in Gaming');
  await pb.getByRole('button', { name: /Lobby/ }).first().click();
  await pb.getByRole('heading', { name: 'Lobby' }).waitFor({ timeout: 5000 });
});

test('the server drops both of A\'s lanes: B goes silent, A shows reconnecting, resumes in the same channel on a new peer connection, B hears A again', async () => {
  const ada = tokenOf(t, 'ada');
  const session = t.server.sessions.get(ada)!;
  const channel = session.channelId;
  const old = session.peer;
  assert.ok(old?.isOpen, 'A\'s voice lane is open before the drop');
  await untilOutput(pb, 'A at B before the drop', (x) => toneShare(x, 440) > 0.8);
  const banner = await watchForText(pa, 'Reconnecting…');
  const silence = await watchForSilence(pb, { windowMs: 100 });
  // As a real network failure does: the voice lane goes with the control lane (resume.test.ts does the same to the Node client).
  old.close();
  t.server.control.connectionOf(ada)!.terminate();
  // The banner may be up for only ~100 ms (the first resume try); the watcher sees it however short.
  await waitFor(() => banner.seen(), 5000, 'A shows "Reconnecting…"');
  // The outage: B stops hearing A (watched inside B's page, so a short one is not missed between two taps).
  await waitFor(() => silence.seen(), 10_000, 'silence at B while A\'s voice lane is down');
  await pa.locator('voice-app[data-session-state="connected"]').waitFor({ timeout: 15_000 });
  await pa.getByText('Reconnecting…').waitFor({ state: 'hidden', timeout: 5000 });
  assert.equal(tokenOf(t, 'ada'), ada, 'same session');
  assert.equal(t.server.sessions.get(ada)!.channelId, channel, 'same channel');
  await waitFor(() => {
    const peer = t.server.sessions.get(ada)?.peer;
    return peer !== undefined && peer !== null && peer !== old && peer.isOpen;
  }, 15_000, 'the server has a new open peer connection for A');
  assert.equal(old.isOpen, false, 'the old peer stays closed');
  const after = Date.now();
  await untilOutput(pb, 'A at B after the resume, on the new peer connection', (x) => toneShare(x, 440) > 0.8 && rms(x) > 0.05, 15_000);
  assert.ok(datagramsFrom(ada, after) > 0, 'the server forwards A\'s voice again');
});

test('two microphone settings changed at once leave exactly one live microphone stream', async () => {
  const page = await A.context.newPage();
  // Record every stream the page is given, to count the ones still live afterwards.
  await page.addInitScript(() => {
    const md = navigator.mediaDevices;
    const original = md.getUserMedia.bind(md);
    const streams: MediaStream[] = [];
    (window as unknown as { __streams: MediaStream[] }).__streams = streams;
    md.getUserMedia = async (constraints) => {
      const s = await original(constraints);
      streams.push(s);
      return s;
    };
  });
  await connectPage(page, t.server.url, 'mic-race');
  const live = await page.evaluate(async () => {
    const app = document.querySelector('voice-app') as unknown as { engine: { update(p: object): Promise<void> } };
    // Both opens overlap: each awaits getUserMedia while the other starts.
    await Promise.all([app.engine.update({ echoCancellation: true }), app.engine.update({ noiseSuppression: true })]);
    const streams = (window as unknown as { __streams: MediaStream[] }).__streams;
    return { given: streams.length, live: streams.filter((s) => s.getAudioTracks().some((tr) => tr.readyState === 'live')).length };
  });
  assert.equal(live.given, 3, 'the first open and the two overlapping ones');
  assert.equal(live.live, 1, `only the newest stream is kept: ${JSON.stringify(live)}`);
  await page.close();
});

/**
 * Drives the real app the way a person does (labels, buttons, keys), plus a
 * few reads of the running engine through the `<voice-app>` element for what a
 * person would hear: the output signal and the engine's counters.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { AudioSettings } from '../../client/audio/engine-api.ts';

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));

/**
 * Saves a screenshot as test-results/[subdir/]name, and as $VOICE_SHOTS_DIR/name
 * when that is set. With `width`, it is taken at that viewport width (the
 * viewport is restored afterwards) and the page must not scroll sideways there.
 */
export async function screenshot(page: Page, name: string, options: { subdir?: string; width?: number; fullPage?: boolean } = {}): Promise<void> {
  const size = page.viewportSize();
  let overflow = 0;
  try {
    if (options.width !== undefined) {
      await page.setViewportSize({ width: options.width, height: size?.height ?? 860 });
      overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    }
    const dirs = [path.join(RESULTS, options.subdir ?? ''), process.env['VOICE_SHOTS_DIR']].filter((d): d is string => !!d);
    for (const dir of dirs) {
      await mkdir(dir, { recursive: true });
      await page.screenshot({ path: path.join(dir, name), fullPage: options.fullPage ?? false });
    }
  } finally {
    if (options.width !== undefined && size) await page.setViewportSize(size);
  }
  assert.equal(overflow, 0, `${name}: the page scrolls sideways by ${overflow} px at ${options.width} px`);
}

/** Chromium flags: grant the microphone and feed it from `wav` (looped); let audio start without a gesture. */
export function fakeMicArgs(wav: string): string[] {
  return [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}`,
    '--autoplay-policy=no-user-gesture-required',
  ];
}

/** Stores audio settings for the page's origin before the app reads them (as the settings panel would). */
export async function seedSettings(page: Page, url: string, settings: Partial<AudioSettings>): Promise<void> {
  await page.goto(url);
  await page.evaluate((s) => {
    const key = 'voice-app.audio-settings';
    const old = JSON.parse(localStorage.getItem(key) ?? '{}') as object;
    localStorage.setItem(key, JSON.stringify({ ...old, ...s }));
  }, settings);
  await page.reload();
}

/** Fills the connect form and waits until the voice lane is open and the engine runs. */
export async function connectPage(page: Page, url: string, nickname: string): Promise<void> {
  if (!page.url().startsWith(url)) await page.goto(url);
  await page.getByLabel('Nickname').fill(nickname);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.locator('[data-voice="open"]').waitFor({ timeout: 20_000 });
  await page.locator('[data-engine-state="running"]').waitFor({ timeout: 20_000 });
}

/** Calls a method of the page's AudioEngine and returns its (structured-cloneable) result. */
export async function engineCall(page: Page, method: string, ...args: unknown[]): Promise<unknown> {
  return page.evaluate(
    async ([m, a]) => {
      const app = document.querySelector('voice-app') as unknown as { engine: Record<string, (...x: unknown[]) => unknown> | null };
      if (!app.engine) throw new Error('no engine');
      return await app.engine[m as string]!(...(a as unknown[]));
    },
    [method, args] as const,
  );
}

/** The last ~0.68 s the page played. */
export async function outputTap(page: Page): Promise<Float32Array> {
  const samples = (await engineCall(page, 'outputTapArray')) as number[];
  return Float32Array.from(samples);
}

export function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return x.length === 0 ? 0 : Math.sqrt(s / x.length);
}

/** Power at `hz` relative to the total (Goertzel), 0–1: how much of the signal is that tone. */
export function toneShare(x: Float32Array, hz: number, sampleRate = 48_000): number {
  const w = (2 * Math.PI * hz) / sampleRate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = (s1 * s1 + s2 * s2 - c * s1 * s2) / ((x.length * x.length) / 4);
  const total = rms(x) ** 2 * 2;
  return total === 0 ? 0 : Math.min(1, power / total);
}

/**
 * Starts watching the app's shadow DOM for `text` (e.g. a banner that may be up
 * for only a few hundred ms); `seen()` then tells whether it ever appeared.
 * Open shadow roots below <voice-app> are watched as they are at the start.
 */
export async function watchForText(page: Page, text: string): Promise<{ seen(): Promise<boolean> }> {
  const key = `__watch_${Math.random().toString(36).slice(2)}`;
  await page.evaluate(
    ([k, t]) => {
      const w = window as unknown as Record<string, boolean>;
      w[k!] = false;
      const roots: Node[] = [];
      const collect = (n: Element | ShadowRoot): void => {
        const root = n instanceof Element ? n.shadowRoot : n;
        if (root) roots.push(root);
        for (const c of (root ?? n).querySelectorAll('*')) if (c.shadowRoot) collect(c);
      };
      collect(document.querySelector('voice-app')!);
      const check = (): void => {
        if (roots.some((r) => (r.textContent ?? '').includes(t!))) w[k!] = true;
      };
      const obs = new MutationObserver(check);
      for (const r of roots) obs.observe(r, { subtree: true, childList: true, characterData: true });
      check();
    },
    [key, text] as const,
  );
  return { seen: () => page.evaluate((k) => (window as unknown as Record<string, boolean>)[k] === true, key) };
}

/**
 * Starts watching what the page plays, inside the page (every ~10 ms, so an
 * outage of a few hundred ms is not missed between two taps from the test):
 * `seen()` tells whether the last `windowMs` of the output was ever below
 * `below` rms since the watch began.
 */
export async function watchForSilence(page: Page, options: { windowMs?: number; below?: number } = {}): Promise<{ seen(): Promise<boolean> }> {
  const key = `__silence_${Math.random().toString(36).slice(2)}`;
  const samples = Math.round(48 * (options.windowMs ?? 50));
  await page.evaluate(
    ([k, n, below]) => {
      const w = window as unknown as Record<string, boolean>;
      w[k] = false;
      const app = document.querySelector('voice-app') as unknown as { engine: { outputTap(): Float32Array } | null };
      const timer = setInterval(() => {
        const tap = app.engine?.outputTap();
        if (!tap || tap.length < n) return;
        let s = 0;
        for (let i = tap.length - n; i < tap.length; i++) s += tap[i]! * tap[i]!;
        if (Math.sqrt(s / n) < below) {
          w[k] = true;
          clearInterval(timer);
        }
      }, 10);
    },
    [key, samples, options.below ?? 0.002] as const,
  );
  return { seen: () => page.evaluate((k) => (window as unknown as Record<string, boolean>)[k] === true, key) };
}

/**
 * Starts recording every value `name` takes on the first element matching
 * `selector` (light DOM) from now on; `values()` returns them in order.
 */
export async function watchAttribute(page: Page, selector: string, name: string): Promise<{ values(): Promise<string[]> }> {
  const key = `__attr_${Math.random().toString(36).slice(2)}`;
  await page.evaluate(
    ([k, sel, attr]) => {
      const seen: string[] = [];
      (window as unknown as Record<string, string[]>)[k!] = seen;
      const el = document.querySelector(sel!);
      if (!el) throw new Error(`no ${sel}`);
      new MutationObserver(() => seen.push(el.getAttribute(attr!) ?? '')).observe(el, { attributes: true, attributeFilter: [attr!] });
    },
    [key, selector, name] as const,
  );
  return { values: () => page.evaluate((k) => (window as unknown as Record<string, string[]>)[k]!, key) };
}

/**
 * The talking schedule shared by the WebRTC bots and the UDP floor's load, so
 * both benchmarks offer exactly the same traffic: talker i sends frame n at
 * startAt + offset(i) + 20 ms × n, whatever the timer does (drift-free), with
 * offsets spread over the 20 ms so talkers do not burst together. One timer
 * drives every talker.
 */
import { FRAME_MS } from '../../shared/voice/constants.ts';


/** Offset of talker `i` inside the 20 ms frame. */
export function talkerOffset(i: number): number {
  return (i * 7) % FRAME_MS;
}

/**
 * Sends `frames` frames per talker; `send(talker, n, dueMs)` is called for each.
 * Resolves with the number of frames sent. `now` is wall-clock ms.
 */
export function runFrameSchedule<T>(talkers: readonly T[], startAtMs: number, frames: number, now: () => number, send: (talker: T, n: number, dueMs: number) => void): Promise<number> {
  const next = talkers.map(() => 0);
  let sent = 0;
  return new Promise((resolve) => {
    const step = (): void => {
      const t = now();
      let nextDue = Infinity;
      for (let i = 0; i < talkers.length; i++) {
        const base = startAtMs + talkerOffset(i);
        while (next[i]! < frames && base + next[i]! * FRAME_MS <= t) {
          send(talkers[i]!, next[i]!, base + next[i]! * FRAME_MS);
          next[i]!++;
          sent++;
        }
        if (next[i]! < frames) nextDue = Math.min(nextDue, base + next[i]! * FRAME_MS);
      }
      if (nextDue === Infinity) return resolve(sent);
      setTimeout(step, Math.max(0, nextDue - now()));
    };
    setTimeout(step, Math.max(0, startAtMs - now()));
  });
}

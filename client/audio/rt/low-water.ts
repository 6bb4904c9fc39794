/**
 * How full the worker keeps the playback ring. The output device pulls audio
 * in bursts (a 10 ms device buffer is 4 render quanta back to back), so the
 * ring must hold one burst plus a quantum of margin when a burst starts. The
 * floor comes from the context's base latency; each underrun the output
 * worklet counts raises the mark by a quantum, and ten clean seconds lower it
 * again, so a machine that is busy for a while gets a little more delay
 * instead of crackle, and gets it back once it calms down. Pure; time is an argument.
 */
export const QUANTUM = 128;

export class LowWater {
  readonly floor: number;
  readonly ceiling: number;
  #mark: number;
  #underruns = 0;
  #calmSince: number;
  readonly #calmMs: number;

  constructor(options: { deviceBufferSamples: number; ceiling?: number; calmMs?: number; nowMs?: number }) {
    const burst = Math.ceil(Math.max(0, options.deviceBufferSamples) / QUANTUM) * QUANTUM;
    this.floor = Math.max(3 * QUANTUM, burst + QUANTUM);
    this.ceiling = Math.max(this.floor, options.ceiling ?? 2880);
    this.#calmMs = options.calmMs ?? 10_000;
    this.#mark = this.floor;
    this.#calmSince = options.nowMs ?? 0;
  }

  get mark(): number {
    return this.#mark;
  }

  /** Feed the worklet's running underrun count; returns the mark to use now. */
  observe(underrunsTotal: number, nowMs: number): number {
    if (underrunsTotal !== this.#underruns) {
      this.#underruns = underrunsTotal;
      this.#mark = Math.min(this.ceiling, this.#mark + QUANTUM);
      this.#calmSince = nowMs;
    } else if (this.#mark > this.floor && nowMs - this.#calmSince >= this.#calmMs) {
      this.#mark = Math.max(this.floor, this.#mark - QUANTUM);
      this.#calmSince = nowMs;
    }
    return this.#mark;
  }
}

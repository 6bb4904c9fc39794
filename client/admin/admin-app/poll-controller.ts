/**
 * Runs a task now and then every `intervalMs` while started, one run at a
 * time: a slow answer delays the next poll instead of piling requests up.
 * `refresh()` runs it again as soon as the current run ends (after a change,
 * so the tables show it without waiting for the next tick). Stops with its host.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class PollController implements ReactiveController {
  readonly #task: () => Promise<void>;
  readonly #intervalMs: number;
  #running = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #busy: Promise<void> | null = null;
  #again = false;

  constructor(host: ReactiveControllerHost, task: () => Promise<void>, intervalMs: number) {
    this.#task = task;
    this.#intervalMs = intervalMs;
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.stop();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.refresh();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Polls now (or right after the poll under way). Resolves when that poll is done. */
  refresh(): Promise<void> {
    if (this.#busy) {
      this.#again = true;
      return this.#busy.then(() => this.#busy ?? undefined);
    }
    clearTimeout(this.#timer);
    this.#busy = this.#run();
    return this.#busy;
  }

  async #run(): Promise<void> {
    try {
      await this.#task();
    } catch (error) {
      // The task reports its own failures; this is a bug in it.
      console.error('[admin] poll failed', error);
    }
    this.#busy = null;
    if (!this.#running) return;
    if (this.#again) {
      this.#again = false;
      this.#busy = this.#run();
      return;
    }
    this.#timer = setTimeout(() => this.refresh(), this.#intervalMs);
  }
}

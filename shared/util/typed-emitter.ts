/**
 * The one event emitter of the codebase. Events are typed by a map of name to
 * argument tuple. A throwing listener never stops the others or the emitter's
 * caller: its error goes to `reportListenerError`, which logs it (never swallowed).
 */
type Listener<A extends unknown[]> = (...args: A) => void;

export type EventMap = { [event: string]: unknown[] };

export type ListenerErrorReporter = (error: unknown, event: string) => void;

/** shared/ is built without DOM or Node typings; every runtime it targets has a console. */
declare const console: { error(...data: unknown[]): void };

let reporter: ListenerErrorReporter = (error, event) => {
  console.error(`[emitter] listener for "${event}" threw:`, error);
};

/** Replaces the process-wide reporter for listener errors (the server routes it to its logger). */
export function setListenerErrorReporter(fn: ListenerErrorReporter): void {
  reporter = fn;
}

export class TypedEmitter<E extends EventMap> {
  #listeners = new Map<keyof E, Listener<never[]>[]>();

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    // Copy on write: an emit in progress keeps iterating the array it started with.
    const list = this.#listeners.get(event) ?? [];
    this.#listeners.set(event, [...list, listener as unknown as Listener<never[]>]);
    return () => this.off(event, listener);
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (...args: E[K]) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    const i = list.indexOf(listener as unknown as Listener<never[]>);
    if (i >= 0) this.#listeners.set(event, [...list.slice(0, i), ...list.slice(i + 1)]);
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }

  /** Calls every listener of `event`; returns whether there was one. */
  protected safeEmit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    // `list` is never mutated (see `on`), so listeners added or removed by a listener take effect from the next emit.
    for (const fn of list) {
      try {
        (fn as unknown as Listener<E[K]>)(...args);
      } catch (error) {
        reporter(error, String(event));
      }
    }
    return true;
  }
}

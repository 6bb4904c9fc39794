/**
 * Keeps a component subscribed to an event source that arrives as a property
 * (a session, an engine): subscribes when the host is connected and the source
 * is set, resubscribes when it changes, unsubscribes on disconnect. Listeners
 * are whatever `subscribe` registers; it returns their unsubscribe functions.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class EmitterSubscription<T extends object> implements ReactiveController {
  readonly #subscribe: (source: T) => (() => void)[];
  #source: T | null = null;
  #off: (() => void)[] = [];
  #connected = false;

  constructor(host: ReactiveControllerHost, subscribe: (source: T) => (() => void)[]) {
    this.#subscribe = subscribe;
    host.addController(this);
  }

  /** Call from the host's willUpdate with the current property value. */
  follow(source: T | null | undefined): void {
    const next = source ?? null;
    if (next === this.#source) return;
    this.#unsubscribe();
    this.#source = next;
    if (this.#connected) this.#resubscribe();
  }

  hostConnected(): void {
    this.#connected = true;
    this.#resubscribe();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#unsubscribe();
  }

  #resubscribe(): void {
    this.#unsubscribe();
    if (this.#source) this.#off = this.#subscribe(this.#source);
  }

  #unsubscribe(): void {
    for (const off of this.#off.splice(0)) off();
  }
}

/**
 * A small typed event emitter, so the client needs no `node:events` and runs on edge runtimes.
 * Same calling shape as Node's for what the client offers: `on`, `once`, `off`, `listenerCount`.
 * Unlike Node's, an `error` nobody listens for is not thrown: the client only emits `error`
 * for failures that also reject a promise the caller holds.
 */
// biome-ignore lint/suspicious/noExplicitAny: listener argument tuples are checked per event map.
type Listener<Args extends any[]> = (...args: Args) => void;

// biome-ignore lint/suspicious/noExplicitAny: an event map names each event's argument tuple.
export class Emitter<Events extends Record<keyof Events, any[]>> {
  // biome-ignore lint/suspicious/noExplicitAny: each list holds the listeners of one event of the map.
  private readonly listeners = new Map<keyof Events, Listener<any[]>[]>();

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const wrapper: Listener<Events[K]> = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const list = this.listeners.get(event);
    const index = list?.indexOf(listener) ?? -1;
    if (list && index >= 0) list.splice(index, 1);
    return this;
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  /** Calls each listener in order; returns whether there was any. */
  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    const list = this.listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const listener of [...list]) listener(...args);
    return true;
  }
}

/**
 * Joins identical calls that overlap in time: while a call for `key` is in flight, the same key
 * gets the same promise instead of a second call. Nothing is kept once it settles, so this is
 * no cache: a call that starts after the first finished goes upstream again.
 */
export class InFlightDeduplicator<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** Runs `call` unless an identical one is in flight; `onJoin` is told when this call joined one. */
  run(key: string, call: () => Promise<T>, onJoin?: () => void): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) {
      onJoin?.();
      return running;
    }
    const started = call().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }
}

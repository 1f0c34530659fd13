/**
 * The deadline of one subgraph call, retries included: one timer, and the attempt in flight to
 * end when it passes. What `AbortSignal.timeout` and a request's `signal` did, without an
 * EventTarget and its listeners on every call (they showed in the gateway's profile).
 */
export class Deadline {
  private passed = false;
  private inFlight: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.timer = setTimeout(() => {
      this.passed = true;
      this.inFlight?.();
    }, ms);
    // A call that outlives its process's other work must not keep it alive.
    this.timer.unref();
  }

  get expired(): boolean {
    return this.passed;
  }

  /** `end` is called if the deadline passes before the returned function is; one attempt at a time. */
  watch(end: () => void): () => void {
    this.inFlight = end;
    return () => {
      if (this.inFlight === end) this.inFlight = undefined;
    };
  }

  /** The call is over: the timer goes. */
  clear(): void {
    clearTimeout(this.timer);
    this.inFlight = undefined;
  }
}

/** Why an attempt ended when its call's deadline passed. */
export const deadlinePassed = () => new Error("the subgraph call's deadline passed");

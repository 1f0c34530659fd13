import { setTimeout as sleep } from 'node:timers/promises';

/*
 * Tests without clocks: a race is staged with a handshake (a promise the test settles), and an
 * asynchronous outcome is awaited by polling with a generous deadline, which is there to fail a
 * test that would otherwise hang, never to make one pass.
 */

/** A promise and the functions that settle it, for a stub that must wait until the test says so. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface WaitForOptions {
  /** When to give up and fail: generous, it never decides a pass. 10 s unless told. */
  timeoutMs?: number;
  /** Between two checks; 20 ms unless told. */
  intervalMs?: number;
  /** What is awaited, for the error message. */
  what?: string;
}

/**
 * Resolves with the first truthy value `check` returns, checking every `intervalMs`; rejects once
 * `timeoutMs` have passed without one (with the last error `check` threw, if any).
 */
export async function waitFor<T>(check: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 20, what = 'a condition' }: WaitForOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`, lastError === undefined ? undefined : { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

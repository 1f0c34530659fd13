import type { EntityEvent } from '@shopgraph/cache';
import { ErrorCode, type VerifiedToken, type Viewer } from '@shopgraph/common';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { EntityEventHub } from './entity-event-hub.js';
import { ENTITY_ID_VARIABLE, type EntitySubscription } from './entity-query.js';
import type { SubscriptionMetrics } from './subscription-metrics.js';

/** Who subscribed: the viewer of a verified token (its expiry and session are checked again), or anonymous. */
export interface Subscriber {
  viewer: Viewer | null;
  token: VerifiedToken | null;
  clientIp: string;
}

/** Whether the subscriber's token may still be served: `'ended'` for an expired token or an ended session. */
export type CredentialCheck = (subscriber: Subscriber) => Promise<'live' | 'ended' | 'unavailable'>;

export interface LiveSubscriptionOptions {
  hub: EntityEventHub;
  metrics: SubscriptionMetrics;
  /**
   * Runs `query` through the gateway as `subscriber` would (a federated read) — or answers with
   * the same read for another subscriber, if that one started at `notBefore` or later.
   */
  execute(query: string, variables: Record<string, unknown>, subscriber: Subscriber, notBefore: number): Promise<FormattedExecutionResult>;
  checkCredentials: CredentialCheck;
  /**
   * How often an open subscription checks that its session has not ended, besides on every event,
   * at its token's expiry and when the session's end is announced: a safety net.
   */
  sessionRecheckMs: number;
  transport: string;
  /** Called once when the subscription ends, whatever ended it. */
  onEnd?: () => void;
}

/** Codes with which a read ends a subscription instead of being pushed: the subscriber may no longer see the entity. */
const ENDING_CODES = new Set<unknown>([ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND]);

const error = (message: string, code: string): GraphQLFormattedError => ({ message, extensions: { code } });
const credentialError = (check: 'ended' | 'unavailable') =>
  check === 'ended'
    ? error('The bearer token has expired or its session has ended; subscribe again with a new one.', ErrorCode.UNAUTHENTICATED)
    : error('Sessions cannot be checked right now; subscribe again shortly.', 'SESSIONS_UNAVAILABLE');

/**
 * One open subscription: it reads its entities once (the current state, and the authorization
 * check: the subgraph decides as it would for a query), then again after each of their events,
 * and yields each read that differs from the one before. Reads of one entity run one at a time and
 * events that arrive meanwhile are folded into the next read, so a later push never shows an older
 * state than an earlier one; an event of a version already seen is dropped.
 */
export class LiveSubscription implements AsyncIterableIterator<FormattedExecutionResult> {
  private readonly queue: FormattedExecutionResult[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private finished = false;
  private readonly lastVersion = new Map<string, number>();
  /**
   * Entities with a read due: when the earliest event it answers was published (`at`, null for a
   * resync), and when the first event since the last read arrived here (`since`: the read must start later).
   */
  private readonly pending = new Map<string, { at: number | null; since: number }>();
  private readonly reading = new Set<string>();
  private readonly lastPushed = new Map<string, string>();
  private readonly unwatch: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly query: string;

  private constructor(
    private readonly subscription: EntitySubscription,
    private readonly variables: Record<string, unknown>,
    readonly subscriber: Subscriber,
    private readonly options: LiveSubscriptionOptions,
    query: string,
  ) {
    this.query = query;
  }

  /**
   * Opens the subscription: a refusal (the errors to answer) when the subscriber may not see one
   * of the entities or its credentials no longer hold, else the subscription, whose first results
   * are the entities as they are now.
   */
  static async open(
    subscription: EntitySubscription,
    query: string,
    variables: Record<string, unknown>,
    subscriber: Subscriber,
    options: LiveSubscriptionOptions,
  ): Promise<LiveSubscription | { errors: readonly GraphQLFormattedError[] }> {
    const live = new LiveSubscription(subscription, variables, subscriber, options, query);
    const refusal = await live.start();
    if (refusal) {
      options.metrics.refused.inc({ code: String(refusal[0]?.extensions?.code ?? 'UNKNOWN') });
      return { errors: refusal };
    }
    return live;
  }

  private async start(): Promise<readonly GraphQLFormattedError[] | null> {
    const { ids, live } = this.subscription;
    const check = await this.options.checkCredentials(this.subscriber);
    if (check !== 'live') return [credentialError(check)];
    // Watching before the first read: an event during the read is not missed, it makes a second one.
    for (const id of ids) this.reading.add(id);
    for (const id of ids) this.unwatch.push(this.options.hub.watch(live.typename, id, (event) => this.onEvent(id, event)));
    const now = performance.now();
    const first = await Promise.all(ids.map((id) => this.read(id, now)));
    for (const result of first) {
      // A first read without the entity refuses, whatever the reason (a limit, an outage): there is nothing to watch.
      const refusal = this.refusalIn(result) ?? (result.data?.[this.subscription.responseKey] ? null : (result.errors ?? []));
      if (refusal) {
        this.cleanUp();
        return refusal;
      }
    }
    this.options.metrics.open.inc({ field: this.subscription.field, transport: this.options.transport });
    ids.forEach((id, index) => this.deliver(id, first[index]!, null));
    for (const id of ids) {
      this.reading.delete(id);
      if (this.pending.has(id)) void this.drain(id);
    }
    this.armTimer();
    return null;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<FormattedExecutionResult>> {
    for (;;) {
      const value = this.queue.shift();
      if (value) return { value, done: false };
      if (this.ended) {
        this.finish();
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async return(): Promise<IteratorResult<FormattedExecutionResult>> {
    this.queue.length = 0;
    this.end();
    this.finish();
    return { value: undefined, done: true };
  }

  /** Ends the subscription with `errors` as its last result (a shutdown, ended credentials). */
  endWith(errors: readonly GraphQLFormattedError[]): void {
    if (this.ended) return;
    this.options.metrics.refused.inc({ code: String(errors[0]?.extensions?.code ?? 'UNKNOWN') });
    this.queue.push({ errors });
    this.end();
  }

  /** Ends it with `UNAUTHENTICATED` if `check` finds its token expired or its session ended. */
  async recheck(check: CredentialCheck = this.options.checkCredentials): Promise<void> {
    if (this.ended || !this.subscriber.token) return;
    if ((await check(this.subscriber)) === 'ended') this.endWith([credentialError('ended')]);
  }

  private onEvent(id: string, event: EntityEvent | null): void {
    if (this.ended) return;
    if (event) {
      if (event.version <= (this.lastVersion.get(id) ?? 0)) {
        this.options.metrics.stale.inc();
        return;
      }
      this.lastVersion.set(id, event.version);
    }
    const at = event?.at ?? null;
    const earlier = this.pending.get(id);
    if (!earlier) this.pending.set(id, { at, since: performance.now() });
    else if (at !== null) earlier.at = earlier.at === null ? at : Math.min(earlier.at, at);
    if (!this.reading.has(id)) void this.drain(id);
  }

  private async drain(id: string): Promise<void> {
    this.reading.add(id);
    try {
      while (!this.ended && this.pending.has(id)) {
        const { at, since } = this.pending.get(id)!;
        this.pending.delete(id);
        const check = await this.options.checkCredentials(this.subscriber);
        if (check !== 'live') {
          this.endWith([credentialError(check)]);
          return;
        }
        const result = await this.read(id, since);
        if (this.ended) return;
        const refusal = this.refusalIn(result);
        if (refusal) {
          this.endWith(refusal);
          return;
        }
        this.deliver(id, result, at);
      }
    } finally {
      this.reading.delete(id);
    }
  }

  private read(id: string, notBefore: number): Promise<FormattedExecutionResult> {
    return this.options
      .execute(this.query, { ...this.variables, [ENTITY_ID_VARIABLE]: id }, this.subscriber, notBefore)
      .catch((cause: unknown) => ({ errors: [error(`The entity could not be read: ${(cause as Error).message}`, 'INTERNAL_SERVER_ERROR')] }));
  }

  /** The errors that end the subscription, when the read says the subscriber cannot see the entity. */
  private refusalIn(result: FormattedExecutionResult): readonly GraphQLFormattedError[] | null {
    if (result.data?.[this.subscription.responseKey]) return null;
    const ending = result.errors?.filter((e) => ENDING_CODES.has(e.extensions?.code));
    if (ending?.length) return ending;
    if (!result.errors?.length) return [error(`No ${this.subscription.live.typename} has this id.`, ErrorCode.NOT_FOUND)];
    return null;
  }

  private deliver(id: string, result: FormattedExecutionResult, at: number | null): void {
    const text = JSON.stringify(result);
    // An event that changed nothing this subscription selects is not pushed.
    if (this.lastPushed.get(id) === text) return;
    this.lastPushed.set(id, text);
    this.queue.push(result);
    this.options.metrics.pushes.inc({ field: this.subscription.field });
    if (at !== null) this.options.metrics.pushLatency.observe(Math.max(0, Date.now() - at) / 1000);
    this.wake?.();
    this.wake = null;
  }

  /** Wakes at the token's expiry, or earlier (the recheck, a safety net) to see whether its session has ended. */
  private armTimer(): void {
    const { token } = this.subscriber;
    if (!token || this.ended) return;
    const wait = Math.min(Math.max(0, token.expiresAt - Date.now()), this.options.sessionRecheckMs);
    this.timer = setTimeout(() => void this.recheck().then(() => this.armTimer()), wait);
    this.timer.unref();
  }

  private end(): void {
    this.ended = true;
    this.wake?.();
    this.wake = null;
  }

  private cleanUp(): void {
    clearTimeout(this.timer);
    for (const unwatch of this.unwatch.splice(0)) unwatch();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.ended = true;
    this.cleanUp();
    this.options.metrics.open.dec({ field: this.subscription.field, transport: this.options.transport });
    this.options.onEnd?.();
  }
}

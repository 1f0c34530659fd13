import type { GraphQLSchema } from 'graphql';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { EntityEventHub } from './entity-event-hub.js';
import type { LiveField } from './live-fields.js';
import { LiveSubscription, type CredentialCheck, type Subscriber } from './live-subscription.js';
import { SubscriptionReader, type GraphQLParams, type PreparedSubscription, type Reading } from './prepare.js';
import type { SubscriptionMetrics } from './subscription-metrics.js';

export interface OpenSubscriptionsOptions {
  hub: EntityEventHub;
  metrics: SubscriptionMetrics;
  liveFields: Readonly<Record<string, LiveField>>;
  maxIds: number;
  perUser: number;
  sessionRecheckMs: number;
  checkCredentials: CredentialCheck;
  /** The check of a user's tokens after a write of their sessions was announced (SubscriptionCredentials.checkAfterWrite). */
  checkAfterSessionWrite(userId: string): Promise<CredentialCheck>;
  execute(query: string, variables: Record<string, unknown>, subscriber: Subscriber): Promise<FormattedExecutionResult>;
}

/**
 * One read for the subscriptions that want the same thing at the same time: an event reaches
 * every subscriber of the entity in one turn, and the same selection as the same viewer (anonymous
 * ones of a product, most of all) is read once. A read is shared only with those whose event
 * arrived before it started, so nobody is answered with a state older than their event.
 */
export class SharedReads {
  private readonly flights = new Map<string, { startedAt: number; result: Promise<FormattedExecutionResult> }>();

  read(key: string, notBefore: number, run: () => Promise<FormattedExecutionResult>): Promise<FormattedExecutionResult> {
    const flight = this.flights.get(key);
    if (flight && flight.startedAt >= notBefore) return flight.result;
    const startedAt = performance.now();
    const result = run().finally(() => {
      if (this.flights.get(key)?.result === result) this.flights.delete(key);
    });
    this.flights.set(key, { startedAt, result });
    return result;
  }
}

/** The error a subscription ends with when the gateway shuts down: subscribe again, to this gateway's successor or another. */
export const SHUTTING_DOWN = { message: 'The gateway is restarting: subscribe again.', extensions: { code: 'SHUTTING_DOWN' } } as const satisfies GraphQLFormattedError;

/**
 * Every subscription open on this gateway, over either transport: the per-user limit, the graph
 * they are validated against, and the shutdown that ends them all.
 */
export class OpenSubscriptions {
  /** The graph's API schema, once the gateway has loaded it. */
  schema: GraphQLSchema | undefined;
  closing = false;
  private readonly perUser = new Map<string, number>();
  private readonly live = new Set<LiveSubscription>();
  private readonly reads = new SharedReads();
  private readonly reader: SubscriptionReader;
  /** Session writes announced so far: one during an opening may have missed the subscription. */
  private sessionWrites = 0;

  constructor(private readonly options: OpenSubscriptionsOptions) {
    this.reader = new SubscriptionReader(options.liveFields, options.maxIds);
  }

  /** Reads a request against the graph loaded now; null before the gateway has loaded one. */
  read(params: GraphQLParams): Reading | null {
    return this.schema ? this.reader.read(this.schema, params) : null;
  }

  /** How many are open. */
  get size() {
    return this.live.size;
  }

  /**
   * Opens `prepared` for `subscriber`: the subscription, or the errors that refuse it. `onEnd` is
   * called once when it ends, or at once when it is refused.
   */
  async open(
    prepared: PreparedSubscription,
    subscriber: Subscriber,
    transport: string,
    onEnd: () => void,
  ): Promise<LiveSubscription | { errors: readonly GraphQLFormattedError[] }> {
    const user = subscriber.viewer ? `user:${subscriber.viewer.id}` : `ip:${subscriber.clientIp}`;
    const count = this.perUser.get(user) ?? 0;
    if (this.closing) {
      onEnd();
      return { errors: [SHUTTING_DOWN] };
    }
    if (count >= this.options.perUser) {
      onEnd();
      this.options.metrics.refused.inc({ code: 'RATE_LIMITED' });
      return { errors: [{ message: `At most ${this.options.perUser} open subscriptions per user.`, extensions: { code: 'RATE_LIMITED' } }] };
    }
    this.perUser.set(user, count + 1);
    const release = () => {
      const left = (this.perUser.get(user) ?? 1) - 1;
      if (left > 0) this.perUser.set(user, left);
      else this.perUser.delete(user);
    };
    const { hub, metrics, checkCredentials, sessionRecheckMs } = this.options;
    const execute = (query: string, variables: Record<string, unknown>, reader: Subscriber, notBefore: number) => {
      // Who reads decides what the subgraphs answer: the viewer is part of the key.
      const key = `${reader.viewer?.id ?? ''}\n${reader.viewer?.role ?? ''}\n${query}\n${JSON.stringify(variables)}`;
      return this.reads.read(key, notBefore, () => this.options.execute(query, variables, reader));
    };
    let opened: LiveSubscription | undefined;
    const writesBefore = this.sessionWrites;
    const result = await LiveSubscription.open(prepared.subscription, prepared.query, prepared.variables, subscriber, {
      hub,
      metrics,
      execute,
      checkCredentials,
      sessionRecheckMs,
      transport,
      onEnd: () => {
        if (opened) this.live.delete(opened);
        release();
        onEnd();
      },
    });
    if (!(result instanceof LiveSubscription)) {
      release();
      onEnd();
      return result;
    }
    opened = result;
    this.live.add(result);
    // Shut down while it was opening: it ends at once, with the same word as the others.
    if (this.closing) result.endWith([SHUTTING_DOWN]);
    // A session's end announced while it was opening found it not open yet: it asks now.
    else if (this.sessionWrites !== writesBefore) void result.recheck();
    return result;
  }

  /**
   * Someone wrote `userId`'s sessions (a logout, a raised token version), or, for null, writes may
   * have gone unheard: the subscriptions whose session has ended end with `UNAUTHENTICATED`.
   */
  async sessionsChanged(userId: string | null): Promise<void> {
    this.sessionWrites++;
    const affected = [...this.live].filter(({ subscriber }) => subscriber.token && (userId === null || subscriber.viewer?.id === userId));
    if (affected.length === 0) return;
    const check = userId === null ? this.options.checkCredentials : await this.options.checkAfterSessionWrite(userId);
    await Promise.all(affected.map((live) => live.recheck(check)));
  }

  /** Ends every open subscription with `SHUTTING_DOWN`; new ones are refused from now on. */
  shutDown(): void {
    this.closing = true;
    for (const live of this.live) live.endWith([SHUTTING_DOWN]);
  }
}

import type { EntityEvent } from '@shopgraph/cache';
import { deferred, type Deferred } from '@shopgraph/testing';
import type { FormattedExecutionResult } from 'graphql';
import { buildSchema, getOperationAST, parse, print } from 'graphql';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { EntityEventHub, EntityListener } from './entity-event-hub.js';
import { entitySubscriptionOf } from './entity-query.js';
import { shopgraphLiveFields } from './live-fields.js';
import { LiveSubscription, type CredentialCheck, type Subscriber } from './live-subscription.js';
import { createSubscriptionMetrics } from './subscription-metrics.js';

const schema = buildSchema(`
  type Order { id: ID! status: String! }
  type Query { order(id: ID!): Order }
  type Subscription { orderUpdated(id: ID!): Order! }
`);

/** A hub the test drives: `emit` is an event of the order arriving from Redis. */
function fakeHub() {
  const listeners = new Set<EntityListener>();
  const hub = {
    watch: (_typename: string, _id: string, listener: EntityListener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as EntityEventHub;
  const emit = (version: number) => {
    for (const listener of listeners) listener({ typename: 'Order', id: 'o-1', version, at: Date.now() } satisfies EntityEvent);
  };
  return { hub, emit, listeners };
}

/** Reads that block until the test answers them, in the order they were asked. */
function heldReads() {
  const reads: Deferred<FormattedExecutionResult>[] = [];
  const execute = () => {
    const read = deferred<FormattedExecutionResult>();
    reads.push(read);
    return read.promise;
  };
  return { reads, execute };
}

const order = (status: string) => ({ data: { orderUpdated: { id: 'o-1', status } } });

async function open(
  execute: () => Promise<FormattedExecutionResult>,
  hub: EntityEventHub,
  checkCredentials: CredentialCheck = async () => 'live',
  subscriber: Subscriber = { viewer: null, token: null, clientIp: '' },
) {
  const document = parse(`subscription { orderUpdated(id: "o-1") { id status } }`);
  const subscription = entitySubscriptionOf(schema, document, getOperationAST(document)!, {}, shopgraphLiveFields)!;
  return LiveSubscription.open(subscription, print(subscription.query), {}, subscriber, {
    hub,
    metrics: createSubscriptionMetrics(new Registry()),
    execute,
    checkCredentials,
    sessionRecheckMs: 3_600_000,
    transport: 'test',
  });
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LiveSubscription', () => {
  it('reads one at a time: events during a read make one more read, stale versions none, and pushes only changes', async () => {
    const { hub, emit } = fakeHub();
    const { reads, execute } = heldReads();
    const opening = open(execute, hub);
    await settle();
    reads[0]!.resolve(order('PENDING'));
    const live = (await opening) as LiveSubscription;
    expect((await live.next()).value).toEqual(order('PENDING'));

    emit(10);
    await settle();
    expect(reads).toHaveLength(2);
    // Two more events while that read is held: folded into one read after it; an old version dropped.
    emit(11);
    emit(12);
    emit(9);
    await settle();
    expect(reads).toHaveLength(2);
    reads[1]!.resolve(order('AWAITING_PAYMENT'));
    await settle();
    expect(reads).toHaveLength(3);
    reads[2]!.resolve(order('PAID'));
    expect((await live.next()).value).toEqual(order('AWAITING_PAYMENT'));
    expect((await live.next()).value).toEqual(order('PAID'));

    // An event that changed nothing selected pushes nothing; the next change does.
    emit(13);
    await settle();
    reads[3]!.resolve(order('PAID'));
    emit(14);
    await settle();
    reads[4]!.resolve(order('CANCELLED'));
    expect((await live.next()).value).toEqual(order('CANCELLED'));
    await live.return();
  });

  it('refuses when the first read says the entity is not there for this viewer, and ends when credentials end', async () => {
    const { hub, emit, listeners } = fakeHub();
    const refused = await open(async () => ({ data: { orderUpdated: null }, errors: [{ message: 'no', extensions: { code: 'NOT_FOUND' } }] }), hub);
    expect(refused).toEqual({ errors: [{ message: 'no', extensions: { code: 'NOT_FOUND' } }] });
    expect(listeners.size).toBe(0);

    let credentials: 'live' | 'ended' = 'live';
    const live = (await open(async () => order('PENDING'), hub, async () => credentials)) as LiveSubscription;
    expect((await live.next()).value).toEqual(order('PENDING'));
    credentials = 'ended';
    emit(1);
    const last = await live.next();
    expect(last.value?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await live.next()).done).toBe(true);
    expect(listeners.size).toBe(0);
  });

  it('ends at its token’s expiry by its own timer, and when a recheck (a session’s end announced) finds the session ended', async () => {
    const { hub, listeners } = fakeHub();
    // As SubscriptionCredentials.check: an expired token has ended, whatever its session.
    const byExpiry: CredentialCheck = async ({ token }) => (token && Date.now() >= token.expiresAt ? 'ended' : 'live');
    const subscriberUntil = (expiresAt: number): Subscriber => ({
      viewer: { id: 'u-1', role: 'CUSTOMER' },
      token: { viewer: { id: 'u-1', role: 'CUSTOMER' }, session: { id: 's-1', version: 0 }, expiresAt },
      clientIp: '',
    });
    // The recheck is an hour away (sessionRecheckMs): only the expiry can end this one, with no event.
    const expiring = (await open(async () => order('PENDING'), hub, byExpiry, subscriberUntil(Date.now() + 50))) as LiveSubscription;
    expect((await expiring.next()).value).toEqual(order('PENDING'));
    expect((await expiring.next()).value?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await expiring.next()).done).toBe(true);

    const live = (await open(async () => order('PENDING'), hub, byExpiry, subscriberUntil(Date.now() + 3_600_000))) as LiveSubscription;
    expect((await live.next()).value).toEqual(order('PENDING'));
    // Sessions that cannot be read now do not end it; a live answer neither.
    await live.recheck(async () => 'unavailable');
    await live.recheck(async () => 'live');
    await live.recheck(async () => 'ended');
    expect((await live.next()).value?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await live.next()).done).toBe(true);
    expect(listeners.size).toBe(0);
  });
});

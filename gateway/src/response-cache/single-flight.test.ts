import { deferred } from '@shopgraph/testing';
import { describe, expect, it } from 'vitest';
import type { CacheRequest } from './cache-request.js';
import { Flights, type Outcome } from './single-flight.js';

const request = (viewerId: string | null, coalescible = true): CacheRequest => ({
  digest: 'digest',
  viewer: viewerId === null ? null : { id: viewerId, role: 'CUSTOMER' },
  publicKey: 'public',
  privateKey: viewerId === null ? undefined : `private:${viewerId}`,
  coalescible,
  version: 'v1',
});

const outcome = (isPublic: boolean, body: string): Outcome => ({ status: 200, headers: [], body: Buffer.from(body), public: isPublic });

describe('Flights', () => {
  it('runs one execution for identical requests of one viewer in flight', async () => {
    const flights = new Flights();
    const answer = deferred<Outcome>();
    let executions = 0;
    const results = Array.from({ length: 4 }, () => flights.run(request('u1'), () => (executions++, answer.promise)));
    expect(flights.has(request('u1'))).toBe(true);
    answer.resolve(outcome(false, 'mine'));
    expect((await Promise.all(results)).map((result) => result.body.toString())).toEqual(['mine', 'mine', 'mine', 'mine']);
    expect(executions).toBe(1);
    expect(flights.has(request('u1'))).toBe(false);
  });

  it("shares another viewer's answer only when it turns out public", async () => {
    const flights = new Flights();
    const first = deferred<Outcome>();
    const shared = flights.run(request('u1'), () => first.promise);
    const joined = flights.run(request('u2'), () => Promise.resolve(outcome(false, 'own')));
    first.resolve(outcome(true, 'public'));
    expect((await shared).body.toString()).toBe('public');
    expect((await joined).body.toString()).toBe('public');

    const second = deferred<Outcome>();
    const own = flights.run(request('u1'), () => second.promise);
    const apart = flights.run(request('u2'), () => Promise.resolve(outcome(false, 'u2 only')));
    second.resolve(outcome(false, 'u1 only'));
    expect((await own).body.toString()).toBe('u1 only');
    expect((await apart).body.toString()).toBe('u2 only');
  });

  it('never joins a request whose text it has not seen (a persisted query by hash)', async () => {
    const flights = new Flights();
    const held = deferred<Outcome>();
    let executions = 0;
    const first = flights.run(request('u1', false), () => (executions++, held.promise));
    const second = flights.run(request('u1', false), () => (executions++, Promise.resolve(outcome(true, 'second'))));
    held.resolve(outcome(true, 'first'));
    expect([(await first).body.toString(), (await second).body.toString()]).toEqual(['first', 'second']);
    expect(executions).toBe(2);
  });
});

import type { CacheRequest } from './cache-request.js';

/** An executed response, as sent and as shared with coalesced requests. */
export interface Outcome {
  status: number;
  headers: [string, string][];
  body: Buffer;
  /** PUBLIC and cacheable: the same for every viewer, so any viewer's identical request may have it. */
  public: boolean;
}

/** Identical misses in flight: one execution per request shape, shared when it turns out public. */
export class Flights {
  private readonly byRequester = new Map<string, Promise<Outcome>>();
  private readonly byDigest = new Map<string, Promise<Outcome>>();

  private static requester(request: CacheRequest) {
    return `${request.digest}|${request.viewer?.id ?? ''}`;
  }

  has(request: CacheRequest): boolean {
    return this.byRequester.has(Flights.requester(request));
  }

  async run(request: CacheRequest, execute: () => Promise<Outcome>): Promise<Outcome> {
    if (!request.coalescible) return execute();
    const own = Flights.requester(request);
    const same = this.byRequester.get(own);
    if (same) return same;
    const other = this.byDigest.get(request.digest);
    if (other) {
      // Another viewer's identical request: its answer serves this one only if it is public.
      const outcome = await other.catch(() => undefined);
      if (outcome?.public) return outcome;
      const started = this.byRequester.get(own);
      if (started) return started;
    }
    const flight = execute();
    this.byRequester.set(own, flight);
    if (!this.byDigest.has(request.digest)) this.byDigest.set(request.digest, flight);
    const land = () => {
      if (this.byRequester.get(own) === flight) this.byRequester.delete(own);
      if (this.byDigest.get(request.digest) === flight) this.byDigest.delete(request.digest);
    };
    flight.then(land, land);
    return flight;
  }
}

/**
 * The load generator: a child process of its own, so driving load never shares an event loop
 * with the orchestrator, and its CPU is measured apart from the systems it drives.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { signRequest } from '@shopgraph/common';
import autocannon from 'autocannon';
import { runCheckoutLoad } from './checkout-driver.js';
import type { ChildMessage, HttpLoadCommand, HttpLoadResult, ParentMessage } from './protocol.js';

/** A growable list of latencies: a few hundred thousand responses per round fit easily. */
class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;
  push(value: number) {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }
  toArray() {
    return this.values.slice(0, this.length);
  }
}

function runHttpLoad(command: HttpLoadCommand): Promise<HttpLoadResult> {
  const latencies = new Samples();
  const headerCounts: Record<string, Record<string, number>> = Object.fromEntries(command.countHeaders.map((h) => [h, {}]));
  let graphqlErrors = 0;
  let firstError: string | null = null;
  let next = 0;
  const [only] = command.requests;
  const checkResponse = (status: number, body: string, _context: object, headers: IncomingHttpHeaders | undefined) => {
    // A GraphQL error is an error even under HTTP 200; `"errors":` never occurs in our data.
    if (status >= 300 || body.includes('"errors":')) {
      if (status < 300) graphqlErrors += 1;
      firstError ??= `HTTP ${status}: ${body.slice(0, 300)}`;
    }
    for (const name of command.countHeaders) {
      const value = String(headers?.[name] ?? '(none)');
      const counts = headerCounts[name]!;
      counts[value] = (counts[value] ?? 0) + 1;
    }
  };
  const { sign } = command;
  // A signed request is single-use (its nonce is remembered), so each one is signed anew.
  const signatureFor = (body: string) => (sign ? signRequest(sign.secret, { method: 'POST', url: command.url, audience: sign.audience, body }, null) : {});
  // One fixed request is built once; a list is handed out in turn across all connections, so
  // concurrent connections ask for different things instead of the same sequence in lockstep.
  const requests =
    command.requests.length === 1 && only && !sign
      ? [{ method: 'POST' as const, body: only.body, headers: { 'content-type': 'application/json', ...only.headers }, onResponse: checkResponse }]
      : [
          {
            method: 'POST' as const,
            setupRequest: (request: autocannon.Request) => {
              const spec = command.requests[next++ % command.requests.length]!;
              return { ...request, body: spec.body, headers: { 'content-type': 'application/json', ...spec.headers, ...signatureFor(spec.body) } };
            },
            onResponse: checkResponse,
          },
        ];
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const instance = autocannon(
      {
        url: command.url,
        connections: command.connections,
        ...(command.amount ? { amount: command.amount } : { duration: command.seconds }),
        requests,
        timeout: 10,
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          requests: latencies.length,
          seconds: (performance.now() - startedAt) / 1000,
          transportErrors: result.errors + result.timeouts,
          non2xx: result.non2xx,
          graphqlErrors,
          latenciesMs: latencies.toArray(),
          headerCounts,
          firstError,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime: number) => latencies.push(responseTime));
  });
}

/**
 * A timed round in which no response came back (a system slower than the round, on a busy
 * machine) measured nothing: it is run again until one request per connection is answered, its
 * time counted, so a slow system shows as slow rather than as absent.
 */
async function runHttpRound(command: HttpLoadCommand): Promise<HttpLoadResult> {
  const timed = await runHttpLoad(command);
  if (timed.requests > 0 || command.amount) return timed;
  const counted = await runHttpLoad({ ...command, amount: command.connections });
  return {
    ...counted,
    seconds: timed.seconds + counted.seconds,
    transportErrors: timed.transportErrors + counted.transportErrors,
    non2xx: timed.non2xx + counted.non2xx,
  };
}

process.on('message', (message: ParentMessage) => {
  const { id, command } = message;
  const work = command.kind === 'http' ? runHttpRound(command) : runCheckoutLoad(command);
  work.then(
    (result) => process.send?.({ id, result } satisfies ChildMessage),
    (error: unknown) => process.send?.({ id, error: error instanceof Error ? error.stack ?? error.message : String(error) } satisfies ChildMessage),
  );
});
// The orchestrator going away (even by SIGKILL) closes the channel: never outlive it.
process.on('disconnect', () => process.exit(0));

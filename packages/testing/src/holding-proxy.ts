import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { deferred, type Deferred } from './handshakes.js';

/** The answers a `HoldingProxy` keeps back for the test. */
export interface Hold {
  /** Resolves once every request the hold was for has been answered by the target and waits here. */
  held: Promise<void>;
  /** Sends the held answers, to whoever still listens. */
  release(): void;
}

/**
 * An HTTP server in front of another, for tests that stage a race between processes: every
 * request is passed on to the target at once, and the answers the test asks to hold are kept
 * back until it releases them. The moment `held` resolves, the target has done the work (a card
 * charged, a token made) and the caller is still waiting for the answer.
 */
export interface HoldingProxy {
  /** The base URL to give the caller in place of the target's. */
  url: string;
  /** Holds the answers to the next `count` requests whose path starts with `path` (e.g. `/v1/charges`). */
  hold(path: string, count?: number): Hold;
  close(): Promise<void>;
}

interface PendingHold {
  path: string;
  count: number;
  arrived: number;
  held: Deferred<void>;
  released: Deferred<void>;
}

export async function startHoldingProxy(targetUrl: string): Promise<HoldingProxy> {
  const holds: PendingHold[] = [];

  /** The hold a request to `path` counts towards, if one still wants requests. */
  const holdFor = (path: string) => {
    const hold = holds.find((candidate) => path.startsWith(candidate.path) && candidate.arrived < candidate.count);
    if (hold && ++hold.arrived === hold.count) hold.held.resolve();
    return hold;
  };

  const forward = async (request: IncomingMessage) => {
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await buffer(request);
    const headers = Object.fromEntries(
      Object.entries(request.headers).flatMap(([name, value]) => (typeof value === 'string' && name !== 'host' ? [[name, value]] : [])),
    );
    const answer = await fetch(new URL(request.url!, targetUrl), { method: request.method!, headers, ...(body ? { body } : {}) });
    return { status: answer.status, contentType: answer.headers.get('content-type') ?? 'application/octet-stream', body: Buffer.from(await answer.arrayBuffer()) };
  };

  const server = createServer((request, response) => {
    // A caller killed while its answer was held leaves a socket that can no longer be written.
    response.on('error', () => undefined);
    forward(request).then(
      async (answer) => {
        await holdFor(request.url!)?.released.promise;
        response.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
      },
      (error: Error) => response.writeHead(502).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold(path, count = 1) {
      const hold: PendingHold = { path, count, arrived: 0, held: deferred(), released: deferred() };
      holds.push(hold);
      return { held: hold.held.promise, release: () => hold.released.resolve() };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const hold of holds) hold.released.resolve();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

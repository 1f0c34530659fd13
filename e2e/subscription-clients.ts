import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '@shopgraph/testing';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** What a subscription received: its results in order, and how it ended. */
export interface Received<T = Record<string, any>> {
  results: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] }[];
  /** Set once the server completed the subscription or refused it. */
  ended: boolean;
  /** The errors a refusal (graphql-ws `error` message) carried. */
  refused?: { message: string; extensions?: { code?: string } }[];
  stop(): void;
}

/** Waits until `received` has a result (or ended) meeting `done`. */
export function waitForResult<T>(received: Received<T>, done: (received: Received<T>) => boolean, what: string) {
  return waitFor(() => (done(received) ? true : undefined), { timeoutMs: 30_000, intervalMs: 20, what }).catch((error: Error) => {
    throw new Error(`${error.message}; received so far: ${JSON.stringify({ results: received.results, refused: received.refused, ended: received.ended })}`);
  });
}

/** A graphql-ws client on the gateway's /graphql, with `token` in the connection_init payload. */
export function wsClient(httpUrl: string | (() => string), token?: string, options: { retryAttempts?: number } = {}): Client {
  const toWs = (url: string) => url.replace(/^http/, 'ws');
  return createClient({
    url: typeof httpUrl === 'string' ? toWs(httpUrl) : () => toWs(httpUrl()),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: options.retryAttempts ?? 0,
    lazy: true,
  });
}

/** Subscribes over graphql-ws and records what comes. */
export function subscribeWs<T = Record<string, any>>(client: Client, query: string, variables: Record<string, unknown>): Received<T> {
  const received: Received<T> = { results: [], ended: false, stop: () => undefined };
  received.stop = client.subscribe(
    { query, variables },
    {
      next: (result) => void received.results.push(result as Received<T>['results'][number]),
      error: (error) => {
        received.refused = Array.isArray(error) ? error : [{ message: String((error as Error).message ?? error) }];
        received.ended = true;
      },
      complete: () => void (received.ended = true),
    },
  );
  return received;
}

/**
 * Subscribes with Apollo's multipart HTTP protocol, as Apollo Client and Sandbox do, and records
 * each part's payload; `status` is the HTTP status answered.
 */
export function subscribeMultipart<T = Record<string, any>>(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown>,
  token?: string,
): Received<T> & { status: Promise<number>; heartbeats: number } {
  const controller = new AbortController();
  const received: Received<T> & { status: Promise<number>; heartbeats: number } = {
    results: [],
    ended: false,
    heartbeats: 0,
    stop: () => controller.abort(),
    status: Promise.resolve(0),
  };
  received.status = (async () => {
    const response = await fetch(httpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'multipart/mixed;subscriptionSpec=1.0, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    });
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.startsWith('multipart/mixed')) {
      const body = (await response.json()) as Received<T>['results'][number];
      received.refused = body.errors ?? [];
      received.ended = true;
      return response.status;
    }
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          const parts = buffer.split('\r\n--graphql');
          buffer = parts.pop() ?? '';
          for (const part of parts) {
            const json = part.slice(part.indexOf('\r\n\r\n') + 4);
            if (!json.trim()) continue;
            const message = JSON.parse(json) as { payload?: Received<T>['results'][number] };
            if (message.payload) received.results.push(message.payload);
            else received.heartbeats += 1;
          }
        }
      } catch {
        // Aborted by stop().
      }
      received.ended = true;
    })();
    return response.status;
  })();
  return received;
}

/** A gateway replica started by a test, beside the platform's: same configuration, ports of its own. */
export interface GatewayReplica {
  url: string;
  process: ChildProcess;
  exited: Promise<void>;
}

/** Starts a gateway process with `env` on a free port and resolves once it answers `/health`. */
export async function startGatewayReplica(env: Record<string, string>): Promise<GatewayReplica> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: fileURLToPath(new URL('../gateway/', import.meta.url)),
    env: { ...process.env, ...env, GATEWAY_PORT: String(port), GATEWAY_METRICS_PORT: String(await freePort()) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/graphql`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the gateway replica exited with code ${child.exitCode}`);
      return (await fetch(url.replace('/graphql', '/health')).catch(() => null))?.ok || undefined;
    },
    { timeoutMs: 90_000, intervalMs: 200, what: 'the gateway replica to be healthy' },
  );
  return { url, process: child, exited };
}

/** A bare graphql-ws socket, to see what the client library hides: close codes, pings, messages counted by the server. */
export interface RawSocket {
  socket: WebSocket;
  /** Messages the server sent, parsed. */
  messages: { type: string; id?: string; payload?: unknown }[];
  /** WebSocket pings the server sent. */
  pings: number;
  closed: Promise<{ code: number; reason: string; at: number }>;
  send(message: Record<string, unknown>): void;
}

/**
 * Opens a graphql-ws socket on the gateway and sends `connection_init`; resolves once the server
 * acknowledged it. `autoPong: false` leaves the server's pings unanswered, as a vanished peer would.
 */
export async function rawGraphqlWs(httpUrl: string, options: { token?: string; autoPong?: boolean } = {}): Promise<RawSocket> {
  const socket = new WebSocket(httpUrl.replace(/^http/, 'ws'), 'graphql-transport-ws', { autoPong: options.autoPong ?? true });
  const raw: RawSocket = {
    socket,
    messages: [],
    pings: 0,
    closed: new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: performance.now() }))),
    send: (message) => socket.send(JSON.stringify(message)),
  };
  socket.on('message', (data) => void raw.messages.push(JSON.parse(data.toString())));
  socket.on('ping', () => void raw.pings++);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  raw.send({ type: 'connection_init', payload: options.token ? { authorization: `Bearer ${options.token}` } : {} });
  await waitFor(() => (raw.messages.some((message) => message.type === 'connection_ack') ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 20,
    what: 'the connection_ack',
  });
  return raw;
}

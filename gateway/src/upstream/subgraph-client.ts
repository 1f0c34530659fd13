import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { deadlinePassed, type Deadline } from './deadline.js';

/** A subgraph's answer read to its end: several callers (deduplication) may each parse the body. */
export interface UpstreamAnswer {
  status: number;
  statusText: string;
  /** Lower-case names. */
  headers: IncomingHttpHeaders;
  body: string;
}

/** Where one replica URL points: parsed once per replica (`SubgraphClient.targetOf`), not on every call. */
export interface RequestTarget {
  origin: string;
  path: string;
}

/**
 * The subgraph calls' HTTP/1.1 client: undici's `Agent`, keep-alive connections pooled per
 * replica, each call dispatched with a handler that buffers the answer as a string — no
 * Request/Response objects, no web or node streams. It replaced node:http's `http.Agent` (itself
 * the replacement of `fetch`, which cost about 1 ms of the gateway's CPU per subgraph call): a POST
 * with a 20-entity answer cost its caller 44-58 µs of CPU through node:http, 17-25 µs dispatched
 * here; the deep read (four subgraph calls), both clients interleaved in one run, 3.83-4.00 ms of
 * the gateway's CPU per request before, 3.51 after.
 *
 * A connection idle for `IDLE_MS` is closed before the subgraph closes it. A call that meets a
 * pooled connection closed under it anyway (reset before any answer) is sent once more when it
 * may be replayed; undici does not say whether the connection was a pooled one, so a query whose
 * new connection is reset before any answer is sent once more too.
 */
export class SubgraphClient {
  private readonly agent = new Agent({ keepAliveTimeout: IDLE_MS, keepAliveMaxTimeout: IDLE_MS });

  /**
   * POSTs `body` to `target` with the headers `headersFor` makes, a new object for each sending;
   * rejects when the connection fails or `deadline` passes before the answer's last byte.
   * `replayable`: the call may be sent again after a pooled connection was found closed.
   */
  async post(target: RequestTarget, headersFor: () => Record<string, string>, body: string, deadline: Deadline, replayable: boolean): Promise<UpstreamAnswer> {
    try {
      return await send(this.agent, target, headersFor(), body, deadline);
    } catch (error) {
      if (!replayable || !staleConnectionErrors.has(error as Error)) throw error;
      return send(this.agent, target, headersFor(), body, deadline);
    }
  }

  /** Closes the pooled connections; calls in flight end with an error. */
  close(): void {
    void this.agent.destroy();
  }

  /** The target of an http(s) URL. */
  targetOf(url: string): RequestTarget {
    const parsed = new URL(url);
    return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
  }
}

/**
 * How long a pooled connection may stay idle: well below the 5 s keep-alive timeout of node's
 * HTTP server (the subgraphs'), with room for a busy event loop; also the most a server's
 * `Keep-Alive: timeout` hint may raise it to.
 */
const IDLE_MS = 2000;

/** Errors of a call whose connection was reset before any answer: most often a pooled one the subgraph had closed. */
const staleConnectionErrors = new WeakSet<Error>();

/** The codes of such a reset, as undici and the socket give them. */
const RESET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function send(agent: Agent, target: RequestTarget, headers: Record<string, string>, body: string, deadline: Deadline): Promise<UpstreamAnswer> {
  if (deadline.expired) return Promise.reject(deadlinePassed());
  return new Promise<UpstreamAnswer>((resolve, reject) => {
    agent.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers, body }, new AnswerReader(deadline, resolve, reject));
  });
}

/** Buffers one answer; ends the call when its deadline passes, whether it is sent yet or not. */
class AnswerReader implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private answer: Omit<UpstreamAnswer, 'body'> | undefined;
  private readonly chunks: Buffer[] = [];
  private settled = false;
  private readonly unwatch: () => void;

  constructor(
    deadline: Deadline,
    private readonly resolve: (answer: UpstreamAnswer) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.unwatch = deadline.watch(() => {
      // Waiting for a connection, the call has no controller yet: it is aborted as it starts.
      this.controller?.abort(deadlinePassed());
      this.fail(deadlinePassed());
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(deadlinePassed());
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders, statusText?: string): void {
    this.answer = { status, statusText: statusText ?? '', headers };
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    this.unwatch();
    const { chunks } = this;
    this.resolve({ ...this.answer!, body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (!this.answer && RESET_CODES.has((error as NodeJS.ErrnoException).code ?? '')) staleConnectionErrors.add(error);
    this.fail(error);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.unwatch();
    this.reject(error);
  }
}

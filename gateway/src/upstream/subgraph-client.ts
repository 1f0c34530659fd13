import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { deadlinePassed, type Deadline } from './deadline.js';

/** A subgraph's answer read to its end: several callers (deduplication) may each parse the body. */
export interface UpstreamAnswer {
  status: number;
  statusText: string;
  /** Lower-case names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  body: string;
}

/** Where one replica URL points: parsed once per replica (`SubgraphClient.targetOf`), not on every call. */
export interface RequestTarget {
  transport: typeof http | typeof https;
  agent: http.Agent;
  hostname: string;
  port: string;
  path: string;
}

/**
 * The subgraph calls' HTTP/1.1 client: keep-alive connections pooled per replica by one
 * `http.Agent` (node:http, no web streams), a POST sent as one write of headers and body, the
 * answer buffered as a string. This replaces `fetch`, which cost about 1 ms of the gateway's CPU
 * per subgraph call in Request/Response objects, stream tees and a chunked body.
 *
 * A connection idle for `IDLE_MS` is closed before the subgraph closes it. A call that meets a
 * pooled connection closed under it anyway (the subgraph reset it before answering) is sent once
 * more on a new connection when it may be replayed, as node's docs advise for `reusedSocket`.
 */
export class SubgraphClient {
  private readonly agents = {
    http: new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: IDLE_MS }),
    https: new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: IDLE_MS }),
  };

  /**
   * POSTs `body` to `target` with the headers `headersFor` makes, a new object for each sending;
   * rejects when the connection fails or `deadline` passes before the answer's last byte.
   * `replayable`: the call may be sent again after a pooled connection was found closed.
   */
  async post(target: RequestTarget, headersFor: () => Record<string, string>, body: string, deadline: Deadline, replayable: boolean): Promise<UpstreamAnswer> {
    try {
      return await send(target, target.agent, headersFor(), body, deadline);
    } catch (error) {
      if (!replayable || !staleConnectionErrors.has(error as Error)) throw error;
      return send(target, false, headersFor(), body, deadline);
    }
  }

  /** Closes the pooled connections; calls in flight end with an error. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** The target of an http(s) URL, with this client's pool. */
  targetOf(url: string): RequestTarget {
    const parsed = new URL(url);
    const secure = parsed.protocol === 'https:';
    return {
      transport: secure ? https : http,
      agent: secure ? this.agents.https : this.agents.http,
      // `[::1]` names an IPv6 host in a URL, `::1` in a socket address.
      hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: parsed.port,
      path: `${parsed.pathname}${parsed.search}`,
    };
  }
}

/**
 * How long a pooled connection may stay idle: well below the 5 s keep-alive timeout of node's
 * HTTP server (the subgraphs'), with room for a busy event loop. Node's agent does not apply the
 * server's `Keep-Alive: timeout` hint to these connections (measured: they kept no timeout and
 * were reset after 6 s idle, failing the call sent on them).
 */
const IDLE_MS = 2000;

/** Errors of a call sent on a pooled connection that the subgraph reset before any answer. */
const staleConnectionErrors = new WeakSet<Error>();

function send(target: RequestTarget, agent: http.Agent | false, headers: Record<string, string>, body: string, deadline: Deadline): Promise<UpstreamAnswer> {
  if (deadline.expired) return Promise.reject(deadlinePassed());
  const { transport, hostname, port, path } = target;
  headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise<UpstreamAnswer>((resolve, reject) => {
    let answered = false;
    const request = transport.request({ method: 'POST', agent, hostname, port, path, headers }, (response) => {
      answered = true;
      readAnswer(
        response,
        (answer) => (unwatch(), resolve(answer)),
        (error) => (unwatch(), reject(error)),
      );
    });
    // Destroying the request also ends an answer being read (its 'error' and 'close').
    const unwatch = deadline.watch(() => request.destroy(deadlinePassed()));
    request.on('error', (error: NodeJS.ErrnoException) => {
      unwatch();
      if (request.reusedSocket && !answered && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) staleConnectionErrors.add(error);
      reject(error);
    });
    request.end(body);
  });
}

function readAnswer(response: IncomingMessage, resolve: (answer: UpstreamAnswer) => void, reject: (error: Error) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => {
    resolve({
      status: response.statusCode ?? 0,
      statusText: response.statusMessage ?? '',
      headers: response.headers,
      body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
    });
  });
  // An abort or a reset after the headers: the answer is incomplete, so it is no answer.
  response.on('error', reject);
  response.on('close', () => {
    if (!response.complete) reject(new Error('the subgraph connection closed before the answer was complete'));
  });
}

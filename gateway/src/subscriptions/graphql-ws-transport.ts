import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@shopgraph/common';
import { GraphQLError, type ExecutionArgs, type FormattedExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SubscriptionCredentials } from './credentials.js';
import { LiveSubscription, type Subscriber } from './live-subscription.js';
import type { OpenSubscriptions } from './open-subscriptions.js';

export interface GraphqlWsOptions {
  path: string;
  open: OpenSubscriptions;
  credentials: SubscriptionCredentials;
  perConnection: number;
  messagesPer10s: number;
  heartbeatMs: number;
  idleTimeoutMs: number;
  logger: Logger;
}

/** What graphql-ws keeps per connection for us. */
interface ConnectionState {
  subscriber?: Subscriber;
  /** This connection's open subscriptions, by the client's id. */
  open: Map<string, LiveSubscription>;
  idle?: NodeJS.Timeout;
}

/** Close code and reason that tell a graphql-ws client to connect again (a restart, not a refusal). */
export const RESTART_CLOSE = { code: 1012, reason: 'The gateway is restarting: reconnect.' };

const clientIpOf = (request: IncomingMessage) => request.socket.remoteAddress ?? '';

/**
 * graphql-ws over WebSocket at `path` on the gateway's HTTP server. The bearer token comes in the
 * `connection_init` payload (`{ authorization: "Bearer …" }`) or the upgrade request's header; a
 * token that does not hold closes the connection with 4403. Pings every `heartbeatMs` (a peer that
 * does not answer is dropped), idle connections are closed, and a client sending too fast is closed
 * with 4429.
 */
export function attachGraphqlWs(httpServer: Server, options: GraphqlWsOptions) {
  const { open, credentials, logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const states = new WeakMap<WebSocket, ConnectionState>();
  const stateOf = (socket: WebSocket) => {
    let state = states.get(socket);
    if (!state) {
      state = { open: new Map() };
      states.set(socket, state);
    }
    return state;
  };
  const armIdle = (socket: WebSocket, state: ConnectionState) => {
    clearTimeout(state.idle);
    if (state.open.size > 0) return;
    state.idle = setTimeout(() => socket.close(1000, 'Idle: no subscription'), options.idleTimeoutMs);
    state.idle.unref();
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== options.path || open.closing) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  httpServer.on('upgrade', onUpgrade);

  wss.on('connection', (socket: WebSocket) => {
    const state = stateOf(socket);
    armIdle(socket, state);
    let messages = 0;
    const window = setInterval(() => (messages = 0), 10_000);
    window.unref();
    socket.on('message', () => {
      if (++messages > options.messagesPer10s) socket.close(4429, 'Too many messages');
    });
    socket.on('close', () => {
      clearInterval(window);
      clearTimeout(state.idle);
      // Also those opened while the socket was closing, which graphql-ws never started.
      for (const live of state.open.values()) void live.return();
    });
  });

  const server = useServer<Record<string, unknown> | undefined>(
    {
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization = params.authorization ?? params.Authorization ?? ctx.extra.request.headers.authorization;
        const authentication = await credentials.authenticate(authorization);
        if ('errors' in authentication) return false;
        stateOf(ctx.extra.socket).subscriber = { ...authentication, clientIp: clientIpOf(ctx.extra.request) };
        return true;
      },
      // Opened here rather than in `subscribe`, so a refusal (another user's order) is a graphql-ws
      // `error` message with its code, as a validation error is.
      onSubscribe: async (ctx, id, payload) => {
        const socket = ctx.extra.socket;
        const state = stateOf(socket);
        const reading = state.subscriber ? open.read(payload) : null;
        if (!state.subscriber || !reading) return [new GraphQLError('The gateway is not ready yet.', { extensions: { code: 'SERVICE_UNAVAILABLE' } })];
        if ('notSubscription' in reading) {
          return [new GraphQLError('Only subscriptions are served over graphql-ws; send queries and mutations over HTTP.', { extensions: { code: 'BAD_REQUEST' } })];
        }
        if ('errors' in reading) return reading.errors;
        const { prepared } = reading;
        if (state.open.size >= options.perConnection) {
          return [new GraphQLError(`At most ${options.perConnection} subscriptions per connection.`, { extensions: { code: 'RATE_LIMITED' } })];
        }
        const opened = await open.open(prepared, state.subscriber, 'graphql-ws', () => {
          state.open.delete(id);
          armIdle(socket, state);
        });
        if (!(opened instanceof LiveSubscription)) {
          return opened.errors.map((error) => new GraphQLError(error.message, { extensions: error.extensions }));
        }
        state.open.set(id, opened);
        armIdle(socket, state);
        return { schema: open.schema, document: prepared.document, operation: prepared.operation, variableValues: prepared.variables, contextValue: opened } as ExecutionArgs;
      },
      subscribe: (args) => args.contextValue as LiveSubscription as never,
      // The results are formatted already (they come from Apollo Server).
      onNext: (_ctx, _id, _payload, _args, result) => result as FormattedExecutionResult,
      onError: (_ctx, _id, _payload, errors) => {
        logger.debug({ errors: errors.map((error) => error.message) }, 'subscriptions: graphql-ws subscription refused');
      },
    },
    wss,
    options.heartbeatMs,
  );

  return {
    /** Closes every connection with the restart code, then stops. */
    async close(): Promise<void> {
      httpServer.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(RESTART_CLOSE.code, RESTART_CLOSE.reason);
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

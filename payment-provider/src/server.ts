import { createServer, type Server } from 'node:http';
import { createLogger, createServiceApp, listen, type Logger } from '@shopgraph/common';
import type { PaymentProviderConfig } from './env.js';
import { providerRoutes } from './routes.js';
import { createSimulator } from './simulator.js';
import { createMemoryStore, type ProviderStore } from './store.js';

export interface RunningProvider {
  httpServer: Server;
  /** Listens on `port` (0 = any free port) and resolves with the base URL (`http://host:port`). */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Builds the payment-provider simulator; the process and the tests run the same thing. `store`
 * holds its tokens, charges and idempotency records (in memory unless given one that persists).
 */
export function createPaymentProviderServer(
  config: PaymentProviderConfig,
  logger: Logger = createLogger('payment-provider', config.logLevel),
  store: ProviderStore = createMemoryStore(),
): RunningProvider {
  const { app, registry } = createServiceApp({ service: 'payment-provider', logger, checks: {} });
  // /health, /ready and /metrics stay open; the API under /v1 requires the key.
  app.use('/v1', providerRoutes(createSimulator(store, { latencyMs: config.latencyMs }), registry, config.apiKey));
  const httpServer = createServer(app);
  return {
    httpServer,
    async listen(port, host) {
      const bound = await listen(httpServer, port, host);
      return `http://${host ?? '127.0.0.1'}:${bound}`;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        httpServer.close((error) => (error ? reject(error) : resolve()));
        httpServer.closeIdleConnections();
      }),
  };
}

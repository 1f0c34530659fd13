import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createServiceApp, listen, type Logger } from '@shopgraph/common';
import express from 'express';
import { distDir } from './build.js';
import type { WebConfig } from './env.js';
import { gatewayProxy } from './proxy.js';

export interface WebServer {
  server: Server;
  /** Resolves with the URL the storefront answers on. */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The storefront's HTTP server: the built app (any unknown path gets `index.html`, the app
 * routes in the browser), `/graphql` proxied to the gateway, `/config.json` for the browser,
 * and the shared `/health` and `/ready` (the gateway answers). No `/metrics`: this listener is
 * public (the ingress serves it at `/`), and nobody scrapes the storefront.
 */
export function createWebServer(config: WebConfig, logger: Logger): WebServer {
  const gatewayHealth = new URL('/health', config.gatewayUrl);
  const { app } = createServiceApp({
    service: 'web',
    logger,
    metricsRoute: false,
    checks: {
      gateway: async () => {
        const response = await fetch(gatewayHealth);
        if (!response.ok) throw new Error(`gateway answered ${response.status}`);
      },
    },
  });

  app.use('/graphql', gatewayProxy(config.gatewayUrl, logger));
  app.get('/config.json', (_req, res) => {
    res.set('cache-control', 'no-store').json(config.runtime);
  });
  // Hashed file names under assets/ never change content, so browsers may keep them for good.
  // A missing asset is a 404, not the app's page: a stale tab asking for an old bundle must fail visibly.
  app.use('/assets', express.static(join(distDir, 'assets'), { immutable: true, maxAge: '1y' }), (_req, res) => {
    res.sendStatus(404);
  });
  app.use(express.static(distDir, { index: false }));
  app.get('/{*path}', (_req, res) => {
    res.set('cache-control', 'no-cache').sendFile(join(distDir, 'index.html'));
  });

  const server = createServer(app);
  return {
    server,
    async listen(port, host) {
      const bound = await listen(server, port, host);
      return `http://localhost:${bound}`;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

import { baseEnv, listenEnv, parseEnv, portSchema } from '@shopgraph/common';
import { z } from 'zod';
import type { RuntimeConfig } from '../src/runtime-config.js';

const httpUrl = z.url({ protocol: /^https?$/ });

const schema = baseEnv.extend({
  ...listenEnv.shape,
  WEB_PORT: portSchema.default(3000),
  /** The gateway `/graphql` is proxied to, so the browser talks to one origin and needs no CORS. */
  GATEWAY_URL: httpUrl.default('http://127.0.0.1:4000/graphql'),
  /** The queue dashboard the admin page links to; by default the workers' port on this host. */
  DASHBOARD_URL: httpUrl.optional(),
  DASHBOARD_PORT: portSchema.default(4010),
});

export type WebConfig = ReturnType<typeof loadConfig>;

/** The web server's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env) {
  const env = parseEnv(schema, source);
  const runtime: RuntimeConfig = {
    dashboardUrl: env.DASHBOARD_URL ?? `http://localhost:${env.DASHBOARD_PORT}/queues`,
  };
  return {
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    port: env.WEB_PORT,
    host: env.HOST,
    gatewayUrl: new URL(env.GATEWAY_URL),
    runtime,
  };
}

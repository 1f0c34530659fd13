import type { RequestListener } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { ValidationRule } from 'graphql';
import type { GatewayContext } from '../context.js';
import type { FrontDoor, FrontDoorStep, GatewayPlugin } from './plugin.js';

/** The plugins' express handlers of one stage, in the plugins' order. */
export function handlersOf(plugins: readonly GatewayPlugin[], stage: 'onRequest' | 'onParams' | 'onExecute'): RequestHandler[] {
  return plugins.flatMap((plugin) => plugin[stage] ?? []);
}

/** What the plugins add to Apollo Server, in their order. */
export function apolloOptionsOf(plugins: readonly GatewayPlugin[]): {
  plugins: ApolloServerPlugin<GatewayContext>[];
  validationRules: ValidationRule[];
  allowBatchedHttpRequests: boolean;
} {
  return {
    plugins: plugins.flatMap((plugin) => plugin.apolloPlugins ?? []),
    validationRules: plugins.flatMap((plugin) => plugin.validationRules ?? []),
    allowBatchedHttpRequests: !plugins.some((plugin) => plugin.refusesBatches),
  };
}

/**
 * The HTTP server's request listener: `app` itself, or `app` behind the front door of the plugin
 * that opens one, with the `atFrontDoor` steps of the plugins before it in front of its own.
 */
export function frontDoorOf(app: RequestListener, plugins: readonly GatewayPlugin[]): RequestListener {
  const opener = plugins.findIndex((plugin) => plugin.opensFrontDoor);
  if (opener < 0) return app;
  const before = plugins.slice(0, opener).flatMap((plugin) => plugin.atFrontDoor ?? []);
  const steps = (last: FrontDoorStep, door: FrontDoor) => before.reduceRight((next, step) => step(next, door), last);
  return plugins[opener]!.opensFrontDoor!(app, steps);
}

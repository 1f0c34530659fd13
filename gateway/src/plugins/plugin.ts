import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import type { Viewer } from '@shopgraph/common';
import type { RequestHandler } from 'express';
import type { ValidationRule } from 'graphql';
import type { GatewayContext, GatewayContextFactory } from '../context.js';

/**
 * The one shape of a gateway plugin, as Hive Gateway's `useX` plugins have it: `useX(options)`
 * takes its own options type (never the gateway's `env.ts`) and returns one object that names
 * itself and has the hooks it needs — every hook optional. `server.ts` keeps the plugins in one
 * list, in the order of the request path, and mounts each hook where it belongs; where several
 * plugins have the same hook, they run in the list's order:
 *
 * front door (requests the cache may answer without express): `atFrontDoor` steps, then the
 * plugin that `opensFrontDoor` → express on `/graphql`: `onRequest` (identify the client, limits),
 * the JSON body parser, `onParams` (admission, the cache's lookup, the token limit), `onExecute`
 * (the cache's misses) → Apollo Server: `apolloPlugins`, `validationRules`.
 *
 * A plugin may return more than the hooks (what other plugins are handed, such as `useMetrics`'s
 * `countError`); `PluginWith<'onRequest'>` types one whose hook is sure to be there.
 */
export interface GatewayPlugin {
  /** Names the plugin in errors and logs. */
  readonly name: string;
  /** Express handler on `/graphql` before the body is read: who the client is, and the limits every request passes. */
  readonly onRequest?: RequestHandler;
  /** Express handler once the JSON body is parsed (`req.body` holds the GraphQL parameters). */
  readonly onParams?: RequestHandler;
  /** Express handler right before the Apollo middleware: may execute the operation itself. */
  readonly onExecute?: RequestHandler;
  /** Hooks into Apollo Server's request pipeline. */
  readonly apolloPlugins?: readonly ApolloServerPlugin<GatewayContext>[];
  /** Rules added to GraphQL validation. */
  readonly validationRules?: readonly ValidationRule[];
  /** Apollo Server refuses batched HTTP requests when a plugin says so. */
  readonly refusesBatches?: boolean;
  /** This plugin's step at the front door, in front of the steps of the plugins after it (`next`). */
  readonly atFrontDoor?: (next: FrontDoorStep, door: FrontDoor) => FrontDoorStep;
  /**
   * Opens a front door: a plain listener in front of `app` (express), which reads the requests it
   * may answer, runs `steps` (the `atFrontDoor` steps of the plugins before this one, composed
   * around `last`), and hands everything else to `app`.
   */
  readonly opensFrontDoor?: (app: RequestListener, steps: (last: FrontDoorStep, door: FrontDoor) => FrontDoorStep) => RequestListener;
  /** Called once Apollo Server has started, with what executes an operation as the Apollo middleware does. */
  readonly onApolloStart?: (apollo: ApolloServer<GatewayContext>, context: GatewayContextFactory) => void;
  /** Called when the gateway stops, once requests have drained. */
  readonly close?: () => void | Promise<void>;
}

/** A plugin whose hooks `K` are sure to be there. */
export type PluginWith<K extends keyof GatewayPlugin> = GatewayPlugin & Required<Pick<GatewayPlugin, K>>;

/**
 * A step of the front door on a request whose body it has read (`raw`, at `startedAt`) and whose
 * viewer it knows: it answers (through `door`) or calls the next step. Plain arguments, no
 * object per request: the front door is the cache's hit path.
 */
export type FrontDoorStep = (req: IncomingMessage, res: ServerResponse, raw: Buffer, startedAt: number, viewer: Viewer | null) => void;

/** An answer a front door step sends instead of going on. */
export interface FrontDoorRefusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What a front door step may do besides going on. */
export interface FrontDoor {
  /** Answers `refusal`, with the request id and access log line the service shell would have given it. */
  refuse(req: IncomingMessage, res: ServerResponse, refusal: FrontDoorRefusal, startedAt: number): void;
  /** Gives up on the request: something went wrong that nothing sensible can be answered for. */
  fail(res: ServerResponse, error: unknown, what: string): void;
}

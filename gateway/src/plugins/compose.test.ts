import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { apolloOptionsOf, frontDoorOf, handlersOf } from './compose.js';
import type { FrontDoorStep, GatewayPlugin } from './plugin.js';

const noop = () => undefined;

describe('plugin composition', () => {
  it("mounts each stage's handlers in the plugins' order", () => {
    const [a, b, c] = [noop, noop, noop].map((handler) => handler.bind(null));
    const plugins: GatewayPlugin[] = [
      { name: 'a', onRequest: a, onParams: b },
      { name: 'b' },
      { name: 'c', onParams: c, onExecute: a },
    ];
    expect(handlersOf(plugins, 'onRequest')).toEqual([a]);
    expect(handlersOf(plugins, 'onParams')).toEqual([b, c]);
    expect(handlersOf(plugins, 'onExecute')).toEqual([a]);
  });

  it('refuses batched requests when one plugin says so', () => {
    expect(apolloOptionsOf([{ name: 'a' }]).allowBatchedHttpRequests).toBe(true);
    expect(apolloOptionsOf([{ name: 'a' }, { name: 'b', refusesBatches: true }]).allowBatchedHttpRequests).toBe(false);
  });

  it('is express alone without a plugin that opens a front door', () => {
    const app: RequestListener = noop;
    expect(frontDoorOf(app, [{ name: 'a', atFrontDoor: (next) => next }])).toBe(app);
  });

  it('runs the front-door steps of the plugins before the opener, in order, then its own; none after it', () => {
    const ran: string[] = [];
    const step = (name: string) => (next: FrontDoorStep): FrontDoorStep => (req, res, raw, startedAt, viewer) => {
      ran.push(name);
      next(req, res, raw, startedAt, viewer);
    };
    let last: FrontDoorStep | undefined;
    const plugins: GatewayPlugin[] = [
      { name: 'first', atFrontDoor: step('first') },
      { name: 'second', atFrontDoor: step('second') },
      {
        name: 'opener',
        opensFrontDoor: (_app, steps) => {
          last = steps(() => ran.push('opener'), { refuse: noop, fail: noop });
          return noop;
        },
      },
      { name: 'after', atFrontDoor: step('after') },
    ];
    frontDoorOf(noop, plugins);
    last!({} as IncomingMessage, {} as ServerResponse, Buffer.alloc(0), 0, null);
    expect(ran).toEqual(['first', 'second', 'opener']);
  });
});

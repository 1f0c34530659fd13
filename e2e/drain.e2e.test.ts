import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDb, createLogger, type Db } from '@shopgraph/common';
import type { RunningServer } from '@shopgraph/common/subgraph';
import { createProductsServer } from '@shopgraph/products';
import { loadConfig as loadProductsConfig } from '@shopgraph/products/env';
import { createTestDatabase, gatewayRequest, testEnv, waitFor, type GraphQLResponse, type TestDatabase } from '@shopgraph/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../gateway/test/test-graph.js';

/*
 * SIGTERM to a gateway or subgraph process, as a process manager sends it: the request in flight
 * is answered, new connections are refused, then the process exits. Each process runs as
 * `npm start` runs it (its own index.ts in a child process); the request is held in flight by a
 * lock the test takes on the products table, and released when the test says so.
 */

const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const GATEWAY_ENTRY = entry('../gateway/src/index.ts');
const PRODUCTS_ENTRY = entry('../subgraphs/products/src/index.ts');
/** Nobody listens there: the subgraphs these tests do not use. */
const NOWHERE = 'http://127.0.0.1:9/graphql';
const COUNT_PRODUCTS = '{ products(first: 1) { totalCount } }';

let database: TestDatabase;
let env: Record<string, string>;
/** The products subgraph's own connections: its role owns the table the test locks. */
let productsDb: Db;
const children: ChildProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase('sg_drain');
  // No response cache: each test's request must reach the products table.
  // No cache answers for the subgraph: the request in flight must reach the products table, whatever
  // an earlier test's gateway left in Redis.
  env = testEnv(database.url, { USERS_URL: NOWHERE, ORDERS_URL: NOWHERE, PAYMENTS_URL: NOWHERE, RESPONSE_CACHE: 'false', ENTITY_CACHE: 'false' });
  // Connects on first use, once a products server has created its role and schema.
  productsDb = createDb({ url: database.url, subgraph: 'products', logger: createLogger('test', 'silent') });
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  await productsDb?.$client.end();
  await database?.drop();
});

interface ServiceProcess {
  child: ChildProcess;
  /** The URL it logged when ready (it listens on a port of its own choosing). */
  url: string;
  exited: Promise<number | null>;
}

/** Starts `script` with `extra` env on top of the test env; resolves once it logs `readyMessage`. */
function startProcess(script: string, extra: Record<string, string>, readyMessage: string): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info', ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let output = '';
    let pending = '';
    const onData = (chunk: Buffer) => {
      output += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const text of lines) {
        if (!text.startsWith('{')) continue;
        const line = JSON.parse(text) as { msg?: string; url?: string };
        // It listens on loopback's IPv4 address; `localhost` might be tried as ::1 first.
        if (line.msg === readyMessage && line.url) resolve({ child, url: line.url.replace('//localhost:', '//127.0.0.1:'), exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready:\n${output}`)));
  });
}

/** True once a new TCP connection to `url`'s port is refused. */
const refusesConnections = (url: string) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });

/**
 * Holds every statement on the products table until `release()`: a lock the test's own
 * connection takes. `waiting()` is true once a statement of the subgraph waits for it.
 */
async function lockProducts() {
  const holder = await productsDb.$client.connect();
  await holder.query('begin');
  await holder.query('lock table products in access exclusive mode');
  return {
    waiting: async () => {
      const { rows } = await productsDb.$client.query<{ count: string }>(
        "select count(*) from pg_locks where not granted and relation = 'products'::regclass",
      );
      return Number(rows[0]!.count) > 0;
    },
    release: async () => {
      await holder.query('rollback');
      holder.release();
    },
  };
}

/**
 * The drain, step by step: a request is held in flight, SIGTERM arrives, new connections are
 * refused while the request is still held and the process still runs; released, the request is
 * answered and the process exits 0.
 */
async function expectDrain(target: ServiceProcess, inFlight: () => Promise<GraphQLResponse>) {
  const lock = await lockProducts();
  let answer: Promise<GraphQLResponse> | undefined;
  try {
    answer = inFlight();
    // Awaited below; until then a failure must not surface as an unhandled rejection.
    answer.catch(() => undefined);
    await waitFor(lock.waiting, { what: 'the request to reach the products table' });

    target.child.kill('SIGTERM');
    await waitFor(() => refusesConnections(target.url), { what: 'the process to stop accepting connections' });
    expect(target.child.exitCode).toBeNull();
  } finally {
    await lock.release();
  }
  expect(await answer).toEqual({ status: 200, data: { products: { totalCount: expect.any(Number) } } });
  expect(await target.exited).toBe(0);
}

/** Each test starts a process (tsx compiles it first): slow on a loaded machine, never a pass or fail. */
const PROCESS_TEST = { timeout: 180_000 };

describe('SIGTERM', () => {
  it('drains the gateway: the request in flight is answered, new connections are refused, the process exits', PROCESS_TEST, async () => {
    const products: RunningServer = await createProductsServer(loadProductsConfig(env));
    try {
      const productsUrl = await products.listen(0, '127.0.0.1');
      const gateway = await startProcess(
        GATEWAY_ENTRY,
        { GATEWAY_PORT: '0', PRODUCTS_URL: productsUrl, SUBGRAPH_TIMEOUT_MS: '60000' },
        'gateway ready',
      );
      await expectDrain(gateway, () => gatewayRequest(gateway.url, COUNT_PRODUCTS));
    } finally {
      await products.close();
    }
  });

  it('drains a subgraph (products): the request in flight is answered, new connections are refused, the process exits', PROCESS_TEST, async () => {
    const products = await startProcess(PRODUCTS_ENTRY, { PRODUCTS_PORT: '0' }, 'products subgraph ready');
    // A gateway in this process sends the signed request, as in production.
    const gateway = await startGateway({ ...env, PRODUCTS_URL: products.url, SUBGRAPH_TIMEOUT_MS: '60000' });
    try {
      await expectDrain(products, () => gatewayRequest(gateway.url, COUNT_PRODUCTS));
    } finally {
      await gateway.close();
    }
  });
});

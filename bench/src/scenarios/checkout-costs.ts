import { once } from 'node:events';
import { connect } from 'node:net';
import type pg from 'pg';
import { round } from '../proc.js';
import { percentiles, type Percentiles } from '../stats.js';

/** Redis traffic of the counted orders, per order. */
export interface RedisPerOrder {
  /** Round trips: a command, or a MULTI … EXEC block sent as one; commands a script runs inside Redis are not counted. */
  roundTrips: number | null;
  /** Commands by name and what they act on (the queue, or the response cache's key family), each command of a MULTI block counted, per order. */
  commands: Record<string, number>;
  method: string;
}

export const REDIS_METHOD =
  "MONITOR over the counted run: commands whose keys or channel carry this run's prefixes (queues, response cache, purges); a MULTI … EXEC block is one round trip, commands run by Lua scripts none. Request-signature nonce claims (one SET per gateway→subgraph call, under their own prefix) are not included";

/** The arguments of one MONITOR line: `+<time> [<db> <source>] "cmd" "arg" …`, and its source. */
function monitorLine(line: string): { source: string; args: string[] } | undefined {
  const source = /^\+\S+ \[\d+ ([^\]]+)\]/.exec(line)?.[1];
  if (source === undefined) return undefined;
  const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!.replace(/\\(["\\])/g, '$1'));
  return { source, args };
}

/**
 * Watches every command the Redis server runs (MONITOR, on a plain socket: the stream is one
 * line per command) and keeps those of this run: a key or channel argument starting with one of
 * `prefixes`. Other clients of a shared server are left out.
 */
export async function watchRedis(url: string, prefixes: string[]): Promise<{ stop(orders: number): Promise<RedisPerOrder> }> {
  const { hostname, port, password } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port || 6379) });
  await once(socket, 'connect');
  let failure: string | null = null;
  socket.on('error', (error) => {
    failure ??= error.message;
  });
  if (password) socket.write(`AUTH ${decodeURIComponent(password)}\r\n`);
  socket.write('MONITOR\r\n');
  const commands: Record<string, number> = {};
  let roundTrips = 0;
  // Sources inside MULTI, and whether their block carried one of this run's commands.
  const blocks = new Map<string, boolean>();
  // What a command acts on: the first of its arguments under one of the prefixes, by its first
  // segment after the prefix (a queue name, or a family of the response cache's keys).
  const areaOf = (args: string[]): string | undefined => {
    for (const arg of args) {
      const prefix = prefixes.find((candidate) => arg.startsWith(candidate));
      if (prefix !== undefined) return arg.slice(prefix.length).replace(/^:/, '').split(/[:{]/)[0] || 'other';
    }
    return undefined;
  };
  const count = ({ source, args }: { source: string; args: string[] }) => {
    const name = args[0]?.toUpperCase();
    if (!name || source === 'lua') return;
    if (name === 'MULTI') {
      blocks.set(source, false);
      return;
    }
    if (name === 'EXEC') {
      if (blocks.get(source)) roundTrips += 1;
      blocks.delete(source);
      return;
    }
    const area = areaOf(args.slice(1));
    if (area === undefined) return;
    const key = `${name} ${area}`;
    commands[key] = (commands[key] ?? 0) + 1;
    if (blocks.has(source)) blocks.set(source, true);
    else roundTrips += 1;
  };
  let pending = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\r\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const parsed = monitorLine(line);
      if (parsed) count(parsed);
    }
  });
  return {
    async stop(orders) {
      socket.destroy();
      const perOrder = (n: number) => (orders > 0 ? round(n / orders, 2) : 0);
      return {
        roundTrips: orders > 0 && failure === null ? perOrder(roundTrips) : null,
        commands: Object.fromEntries(Object.entries(commands).sort(([, a], [, b]) => b - a).map(([name, n]) => [name, perOrder(n)])),
        method: failure === null ? REDIS_METHOD : `${REDIS_METHOD}; the MONITOR connection failed (${failure})`,
      };
    },
  };
}

/** How long the platform took for each step, from the database's own records (not the customers' polls). */
export interface ServerSideLatency {
  orders: number;
  /** placeOrder's transaction → the AWAITING_PAYMENT transition (order_status_history). */
  placedToAwaitingMs: Percentiles;
  /** payOrder's transaction (payments.created_at of the payment that succeeded) → the PAID transition. */
  paymentToPaidMs: Percentiles;
  method: string;
}

/**
 * Reads the latencies of PAID orders from their status history and payments: each timestamp is
 * the start of the transaction that wrote it, on the database clock, so two of them differ by
 * the platform's time between the two commits (give or take each transaction's own few ms).
 */
export async function serverSideLatency(admin: pg.Client, orderIds: string[]): Promise<ServerSideLatency> {
  const { rows } = await admin.query<{ awaiting_ms: number; paid_ms: number }>(
    `select extract(epoch from awaiting.at - placed.at) * 1000 as awaiting_ms,
            extract(epoch from paid.at - payment.created_at) * 1000 as paid_ms
       from unnest($1::uuid[]) as o(id)
       join lateral (select min(created_at) as at from orders.order_status_history where order_id = o.id and from_status is null) placed on true
       join lateral (select min(created_at) as at from orders.order_status_history where order_id = o.id and to_status = 'AWAITING_PAYMENT') awaiting on true
       join lateral (select min(created_at) as at from orders.order_status_history where order_id = o.id and to_status = 'PAID') paid on true
       join payments.payments payment on payment.order_id = o.id and payment.status = 'SUCCEEDED'
      where awaiting.at is not null and paid.at is not null`,
    [orderIds],
  );
  return {
    orders: rows.length,
    placedToAwaitingMs: percentiles(rows.map((row) => Number(row.awaiting_ms))),
    paymentToPaidMs: percentiles(rows.map((row) => Number(row.paid_ms))),
    method: 'orders.order_status_history and payments.created_at: the start of each writing transaction, on the database clock',
  };
}

import { round } from '../proc.js';
import type { SystemResult } from '../measure.js';
import type { CheckoutResult } from './checkout.js';

/**
 * Scenario 5, the capacity model, from what this run measured (nothing assumed but the targets
 * and the utilisation ceiling):
 * - service demand S of a process kind = its CPU seconds / requests served (one Node process
 *   runs JavaScript on one core, so one instance serves at most 1/S requests per second);
 * - instances = ⌈X · S / ρ⌉ for a target throughput X, at most ρ busy so queues stay short
 *   (an M/M/1 queue at ρ = 0.7 waits about 2.3 S before service);
 * - Little's law, N = X · R: the requests (or jobs) in flight at X with response time R — how
 *   many connections, pool slots or worker slots the target keeps busy.
 */
export const TARGET_UTILISATION = 0.7;
export const TARGET_REQUESTS_PER_SECOND = 10_000;
export const TARGET_CHECKOUTS_PER_SECOND = 500;

export interface CapacityRow {
  /** The kind of process, e.g. "gateway" or "products subgraph". */
  process: string;
  /** CPU milliseconds per request (or per checkout). */
  serviceMs: number;
  /** X · S: cores kept busy at the target. */
  busyCores: number;
  instances: number;
}

export interface CapacityPlan {
  target: string;
  throughput: number;
  /** What the service demands were measured on. */
  basis: string;
  rows: CapacityRow[];
  /** N = X · R with R the mean response time measured. */
  inFlight: { responseMs: number; concurrency: number };
  notes: string[];
}

export interface CapacityResult {
  utilisation: number;
  plans: CapacityPlan[];
  missing: string[];
}

const instancesFor = (throughput: number, serviceMs: number) => Math.max(1, Math.ceil((throughput * serviceMs) / 1000 / TARGET_UTILISATION));

function row(process: string, cpuSeconds: number, served: number, throughput: number): CapacityRow {
  const serviceMs = served > 0 ? (cpuSeconds * 1000) / served : 0;
  return { process, serviceMs: round(serviceMs, 3), busyCores: round((throughput * serviceMs) / 1000, 2), instances: instancesFor(throughput, serviceMs) };
}

/** The plan for a read workload measured on `system`, scaled to `throughput` requests/s. */
function readPlan(target: string, basis: string, system: SystemResult, throughput: number, names: Record<string, string>): CapacityPlan {
  const rows = Object.entries(names)
    .filter(([name]) => system.processes[name])
    .map(([name, label]) => row(label, system.processes[name]!.cpuSeconds, system.requests, throughput));
  return {
    target,
    throughput,
    basis,
    rows,
    inFlight: { responseMs: system.latencyMs.mean, concurrency: Math.ceil((throughput * system.latencyMs.mean) / 1000) },
    notes: [],
  };
}

/** Measured systems, each with the name of its gateway process. */
export function capacityModel(input: {
  catalogMiss?: SystemResult;
  catalogMissGateway: string;
  catalogHit?: SystemResult;
  catalogHitGateway: string;
  deep?: SystemResult;
  deepGateway: string;
  checkout?: CheckoutResult;
}): CapacityResult {
  const plans: CapacityPlan[] = [];
  const missing: string[] = [];
  // Postgres' backends of the bench database (stage.postgres): the CPU a database server needs, beside the Node processes.
  const subgraphs = { products: 'products subgraph', users: 'users subgraph', orders: 'orders subgraph', payments: 'payments subgraph', postgres: 'Postgres (CPU, one server)' };
  if (input.catalogHit) {
    plans.push(
      readPlan(`${TARGET_REQUESTS_PER_SECOND} catalog reads/s, cache on`, 'product(id) over the Zipf spread, cache on (hits, stale answers and misses as measured)', input.catalogHit, TARGET_REQUESTS_PER_SECOND, {
        [input.catalogHitGateway]: 'gateway',
        ...subgraphs,
      }),
    );
  }
  if (input.catalogMiss) {
    plans.push(
      readPlan(`${TARGET_REQUESTS_PER_SECOND} catalog reads/s, none cached`, 'product(id), cache off', input.catalogMiss, TARGET_REQUESTS_PER_SECOND, {
        [input.catalogMissGateway]: 'gateway',
        ...subgraphs,
      }),
    );
  } else missing.push('catalog read plan: the catalog scenario did not run');
  if (input.deep) {
    plans.push(
      readPlan(`${TARGET_REQUESTS_PER_SECOND} "my orders" pages/s`, 'deep orders query, DataLoader', input.deep, TARGET_REQUESTS_PER_SECOND, {
        [input.deepGateway]: 'gateway',
        ...subgraphs,
      }),
    );
  }
  const checkout = input.checkout;
  if (checkout && (checkout.byStatus.PAID ?? 0) > 0) {
    const paid = checkout.byStatus.PAID!;
    const x = TARGET_CHECKOUTS_PER_SECOND;
    const names: Record<string, string> = { gateway: 'gateway', products: 'products subgraph', orders: 'orders subgraph', payments: 'payments subgraph', workers: 'workers', 'payment-provider': 'payment-provider simulator', postgres: 'Postgres (CPU, one server)' };
    const rows = Object.entries(names)
      .filter(([name]) => checkout.processes[name])
      .map(([name, label]) => row(label, checkout.processes[name]!.cpuSeconds, paid, x));
    const notes: string[] = [];
    // Worker slots by Little's law: each queue keeps X × (jobs per order × seconds per job) slots busy.
    for (const [queue, jobs] of Object.entries(checkout.jobSeconds)) {
      if (jobs.jobs === 0) continue;
      const slots = (x * (jobs.jobs / paid) * jobs.meanSeconds) / TARGET_UTILISATION;
      notes.push(
        `${queue} queue: ${round(jobs.jobs / paid, 2)} jobs per paid order × ${round(jobs.meanSeconds * 1000, 1)} ms = ${Math.ceil(slots)} worker slots busy at ${x}/s (Little's law, ρ = ${TARGET_UTILISATION})`,
      );
    }
    const perOrder = checkout.writeTransactions.perOrder;
    if (perOrder) {
      const writes = x * perOrder;
      notes.push(
        `Postgres: ${x} checkouts/s × ${perOrder} write transactions = ${Math.round(writes)} commits/s; pgbench measured ${checkout.pgbench.tps} tps on this server, so ${round(writes / checkout.pgbench.tps, 1)}× this Postgres (one primary takes every write: scale it up, or split the subgraphs' databases — each has its own <NAME>_DATABASE_URL)`,
      );
    } else missing.push('checkout plan, Postgres: write transactions per order were not counted');
    plans.push({
      target: `${x} checkouts/s (placeOrder → PAID, the client polling)`,
      throughput: x,
      basis: `checkout scenario, per PAID order (${paid} orders)`,
      rows,
      inFlight: { responseMs: checkout.latencyMs.mean, concurrency: Math.ceil((x * checkout.latencyMs.mean) / 1000) },
      notes,
    });
  } else missing.push('checkout plan: no order reached PAID in the checkout scenario');
  return { utilisation: TARGET_UTILISATION, plans, missing };
}

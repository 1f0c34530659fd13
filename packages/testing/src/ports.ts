import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports each process hands out, in a block of its own. */
const BLOCK = 400;
/** The lowest port handed out: above the well-known services a machine may run. */
const FLOOR = 12_000;

/** The first port of Linux's ephemeral range, where the kernel picks outgoing connections' local ports. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > FLOOR + BLOCK ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * This process's block, below the ephemeral range: a port found free there stays free until the
 * process told to use it binds it. One the kernel handed out ("listen on 0") could be taken in
 * between as the local port of any connection to Postgres or Redis (seen: a gateway of
 * e2e/faults.e2e.test.ts refused with EADDRINUSE). Test workers run side by side, each numbered
 * from 1 by vitest (VITEST_POOL_ID), so each takes its own block; block 0 is vitest's own process
 * (the global setups).
 */
function blockStart(): number {
  const blocks = Math.floor((ephemeralLow() - FLOOR) / BLOCK);
  const worker = Number(process.env.VITEST_POOL_ID ?? 0);
  return FLOOR + ((Number.isInteger(worker) ? worker : 0) % blocks) * BLOCK;
}

const start = blockStart();
let next = 0;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port for a process that must be told its port up front: the next one of this process's block that nothing holds. */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < BLOCK; tried++) {
    const port = start + (next++ % BLOCK);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${start}–${start + BLOCK - 1}`);
}

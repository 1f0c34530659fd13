import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { waitFor } from './handshakes.js';

/*
 * Redis as production runs it beyond one node, on this machine: a Cluster of three masters, or a
 * master and its replica watched by a Sentinel. Each starts `redis-server` processes on free ports
 * with a temporary directory of its own; `stop()` kills them and removes the directory, and so
 * does the test process's exit if a test never got to call it.
 */

const HOST = '127.0.0.1';

/** A Redis Cluster of masters (without replicas unless asked for), every slot covered. */
export interface TestRedisCluster {
  /** `redis-cluster://127.0.0.1:P1,127.0.0.1:P2,…` */
  url: string;
  ports: number[];
  /** The port of the master serving `slot` now. */
  masterOf(slot: number): Promise<number>;
  /**
   * Fails the master on `masterPort` over to its replica with `CLUSTER FAILOVER` run on the
   * replica (a coordinated, lossless failover, as an operator does before maintenance), and
   * resolves with the replica's port once every node's `CLUSTER NODES` names it a master and
   * the old master its replica. Needs a cluster started with `{ replicas: 1 }`.
   */
  failOver(masterPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Replicas per master: 0 (the default) or 1, for failovers. */
  replicas?: 0 | 1;
}

/** One node as `CLUSTER NODES` describes it. */
interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** The id of the master a replica follows. */
  masterId?: string;
  /** Slot ranges a master serves, `[first, last]`. */
  slots: [number, number][];
}

function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      // <id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot> <slot> …
      const [id, address, flags, master, , , , , ...slots] = line.split(' ');
      return {
        id: id!,
        port: Number(/:(\d+)@/.exec(address!)![1]),
        role: flags!.split(',').includes('master') ? 'master' : 'replica',
        ...(master === '-' ? {} : { masterId: master }),
        slots: slots
          .filter((range) => !range.startsWith('['))
          .map((range) => {
            const [first, last = first] = range.split('-').map(Number);
            return [first!, last!] as [number, number];
          }),
      };
    });
}

async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const reply = await command(port, ['cluster', 'nodes']);
  return typeof reply === 'string' ? parseClusterNodes(reply) : [];
}

/** A master, one replica and one sentinel (quorum 1) that fails the master over within seconds. */
export interface TestRedisSentinel {
  /** `redis-sentinel://127.0.0.1:S/<masterName>` */
  url: string;
  masterName: string;
  masterPort: number;
  replicaPort: number;
  sentinelPort: number;
  /** SIGKILLs the master, as a crash would. */
  killMaster(): Promise<void>;
  /** Resolves with the port of the master the sentinel names once it is no longer `masterPort`. */
  waitForFailover(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** The processes and directory of one topology. */
class Servers {
  private readonly processes: ChildProcess[] = [];
  private readonly onExit = () => {
    for (const child of this.processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  private constructor(readonly dir: string) {
    process.once('exit', this.onExit);
  }

  static async create(name: string): Promise<Servers> {
    return new Servers(await mkdtemp(join(tmpdir(), `shopgraph-${name}-`)));
  }

  /** Starts `redis-server` with `args` (logging to `<dir>/<label>.log`) and waits until it answers PING. */
  async start(label: string, port: number, args: string[]): Promise<ChildProcess> {
    const child = spawn('redis-server', [...args, '--port', String(port), '--bind', HOST, '--logfile', join(this.dir, `${label}.log`)], {
      cwd: this.dir,
      stdio: 'ignore',
    });
    this.processes.push(child);
    await until(`${label} (port ${port}) to answer PING`, 10_000, async () => {
      if (child.exitCode !== null) throw new Error(`${label} exited (${child.exitCode}): ${await this.log(label)}`);
      return (await command(port, ['ping'])) === 'PONG';
    });
    return child;
  }

  async log(label: string): Promise<string> {
    const text = await readFile(join(this.dir, `${label}.log`), 'utf8').catch(() => '');
    return text.trim().split('\n').slice(-5).join(' | ');
  }

  async stop(): Promise<void> {
    process.off('exit', this.onExit);
    await Promise.all(this.processes.map(kill));
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** One command on a fresh connection; null when the server does not answer. */
async function command(port: number, args: [string, ...(string | number)[]]): Promise<unknown> {
  const redis = new Redis(port, HOST, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 1000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await redis.call(...args);
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ephemeral = ['--save', '', '--appendonly', 'no'];

/**
 * Throws, in one line and without a stack, when `redis-server` or `redis-cli` (README
 * prerequisites, which these topologies run) is not on PATH.
 */
function requireRedisTools(): void {
  for (const tool of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(tool, ['--version'], { stdio: 'ignore' });
    if ((probe.error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') continue;
    const missing = new Error(`${tool} not found on PATH: install Redis (e.g. Debian's redis-server package, which brings redis-cli) to run the Redis Cluster and Sentinel tests`);
    missing.stack = missing.message;
    throw missing;
  }
}

/**
 * Starts a Redis Cluster of `masters` nodes (3 by default), each with `options.replicas`
 * replicas, and resolves once every node reports `cluster_state:ok` (and every replica is in
 * sync with its master).
 */
export async function startRedisCluster(masters = 3, options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  requireRedisTools();
  const replicas = options.replicas ?? 0;
  const servers = await Servers.create('redis-cluster');
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters * (1 + replicas); i++) {
      // The cluster bus gets a port of its own: the default, port + 10000, may be taken or invalid.
      const [port, busPort] = [await freePort(), await freePort()];
      await servers.start(`node-${port}`, port, [
        ...ephemeral,
        '--cluster-enabled', 'yes',
        '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-port', String(busPort),
        '--dir', servers.dir,
      ]);
      ports.push(port);
    }
    const create = ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes'];
    await promisify(execFile)('redis-cli', create, { timeout: 30_000 }).catch((error: Error & { stdout?: string }) => {
      throw new Error(`redis-cli --cluster create failed: ${error.message} ${error.stdout ?? ''}`);
    });
    for (const port of ports) {
      await until(`node ${port} to report cluster_state:ok`, 20_000, async () =>
        String(await command(port, ['cluster', 'info'])).includes('cluster_state:ok'),
      );
    }
    // A replica takes part in a failover only once it has synced with its master.
    for (const port of ports) {
      await until(`node ${port} to be a master or a replica in sync`, 20_000, async () => {
        const replication = String(await command(port, ['info', 'replication']));
        return replication.includes('role:master') || replication.includes('master_link_status:up');
      });
    }
    const masterOf = async (slot: number) => {
      const master = (await clusterNodes(ports[0]!)).find((node) => node.role === 'master' && node.slots.some(([first, last]) => first <= slot && slot <= last));
      if (!master) throw new Error(`No master serves slot ${slot}`);
      return master.port;
    };
    const failOver = async (masterPort: number, timeoutMs = 30_000) => {
      // The master learns of its replica through the cluster's gossip, which may trail the
      // replica's own sync: ask until the master's view names it.
      const { master, replica } = await waitFor(
        async () => {
          const nodes = await clusterNodes(masterPort);
          const master = nodes.find((node) => node.port === masterPort && node.role === 'master');
          const replica = nodes.find((node) => node.role === 'replica' && node.masterId === master?.id);
          return master && replica ? { master, replica } : undefined;
        },
        { timeoutMs, intervalMs: 100, what: `${masterPort} to know a replica of its own (start the cluster with { replicas: 1 })` },
      );
      const answer = await command(replica.port, ['cluster', 'failover']);
      if (answer !== 'OK') throw new Error(`CLUSTER FAILOVER on ${replica.port} answered ${String(answer)}`);
      await until(`every node to see ${replica.port} promoted over ${masterPort}`, timeoutMs, async () => {
        const views = await Promise.all(ports.map(clusterNodes));
        return views.every((view) => {
          const promoted = view.find((node) => node.id === replica.id);
          const demoted = view.find((node) => node.id === master.id);
          return promoted?.role === 'master' && demoted?.role === 'replica' && demoted.masterId === replica.id;
        });
      });
      return replica.port;
    };
    return { url: `redis-cluster://${ports.map((port) => `${HOST}:${port}`).join(',')}`, ports, masterOf, failOver, stop: () => servers.stop() };
  } catch (error) {
    await servers.stop();
    throw error;
  }
}

/**
 * Starts a master, a replica of it and a sentinel monitoring them as `masterName` (quorum 1, the
 * master judged down after 1 s), and resolves once the sentinel knows the replica in sync.
 */
export async function startRedisSentinel(masterName = 'shopgraph'): Promise<TestRedisSentinel> {
  requireRedisTools();
  const servers = await Servers.create('redis-sentinel');
  try {
    const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
    // Diskless replication waits 5 s by default for more replicas to sync at once: there is one.
    const master = await servers.start('master', masterPort, [...ephemeral, '--dir', servers.dir, '--repl-diskless-sync-delay', '0']);
    await servers.start('replica', replicaPort, [...ephemeral, '--dir', servers.dir, '--replicaof', HOST, String(masterPort)]);
    await until('the replica to be in sync', 10_000, async () =>
      String(await command(replicaPort, ['info', 'replication'])).includes('master_link_status:up'),
    );
    // A sentinel rewrites its configuration file: it must be a file, and writable.
    const config = join(servers.dir, 'sentinel.conf');
    await writeFile(
      config,
      [
        `dir ${servers.dir}`,
        `sentinel monitor ${masterName} ${HOST} ${masterPort} 1`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 5000`,
        '',
      ].join('\n'),
    );
    await servers.start('sentinel', sentinelPort, [config, '--sentinel']);
    await until('the sentinel to know the replica', 20_000, async () => {
      const replicas = (await command(sentinelPort, ['sentinel', 'replicas', masterName])) as string[][] | null;
      return (replicas ?? []).some((fields) => {
        const info = Object.fromEntries(fields.flatMap((value, i) => (i % 2 === 0 ? [[value, fields[i + 1]]] : [])));
        return info.port === String(replicaPort) && info.flags === 'slave' && info['master-link-status'] === 'ok';
      });
    });
    const masterAddress = async () => {
      const reply = (await command(sentinelPort, ['sentinel', 'get-master-addr-by-name', masterName])) as [string, string] | null;
      return reply ? Number(reply[1]) : undefined;
    };
    return {
      url: `redis-sentinel://${HOST}:${sentinelPort}/${masterName}`,
      masterName,
      masterPort,
      replicaPort,
      sentinelPort,
      killMaster: () => kill(master),
      async waitForFailover(timeoutMs = 30_000) {
        let named: number | undefined;
        try {
          await until('the sentinel to promote the replica', timeoutMs, async () => {
            named = await masterAddress();
            return named !== undefined && named !== masterPort;
          });
        } catch {
          throw new Error(`The sentinel did not fail over within ${timeoutMs} ms; its log ends: ${await servers.log('sentinel')}`);
        }
        return named!;
      },
      stop: () => servers.stop(),
    };
  } catch (error) {
    await servers.stop();
    throw error;
  }
}

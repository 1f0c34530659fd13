import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { cpuSeconds, type ProcessGroup } from './proc.js';

/** The process name (`/proc/<pid>/comm`) of every Postgres process, postmaster and backends alike. */
const POSTGRES_COMM = 'postgres';

const commOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
};

const cmdlineOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};

/** Every process of this machine named `postgres`. */
function machinePostgresPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => commOf(pid) === POSTGRES_COMM);
}

/**
 * The CPU Postgres spends on the bench: the backends serving the bench database, found through
 * `pg_stat_activity` at every reading (pools open and close connections) and read from
 * `/proc/<pid>/stat`. Other databases' backends (tests running beside the bench) are left out;
 * so are the server's shared processes (WAL writer, checkpointer), which a read workload barely
 * touches. When the server's processes are not visible here (Postgres in a container, another
 * host), it falls back to every `postgres` process of this machine, or to nothing — `scope` says which.
 */
export class PostgresCpu implements ProcessGroup {
  readonly name = 'postgres';

  private constructor(
    private readonly client: pg.Client | null,
    readonly scope: 'database' | 'machine' | 'unavailable',
    /** What the report says about how Postgres' CPU was counted. */
    readonly method: string,
  ) {}

  static async open(databaseUrl: string, databaseName: string): Promise<PostgresCpu> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench postgres-cpu' });
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const ownPid = rows[0]!.pid;
    // The backend serving this very connection shows whether pids from pg_stat_activity are ours to read.
    if (commOf(ownPid) === POSTGRES_COMM && cmdlineOf(ownPid).includes(databaseName)) {
      return new PostgresCpu(client, 'database', `backends of the bench database ${databaseName} (pg_stat_activity, CPU from /proc/<pid>/stat), the shared server processes left out`);
    }
    await client.end();
    if (machinePostgresPids().length > 0) {
      return new PostgresCpu(null, 'machine', 'every postgres process of this machine (the bench database\'s backends are not visible by pid here), other databases\' work included');
    }
    return new PostgresCpu(null, 'unavailable', 'not measured: no Postgres process of the server is visible on this machine');
  }

  async read(): Promise<Map<number, number>> {
    const pids =
      this.scope === 'database'
        ? (
            await this.client!.query<{ pid: number }>(
              `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
            )
          ).rows.map((row) => row.pid)
        : this.scope === 'machine'
          ? machinePostgresPids()
          : [];
    const cpu = new Map<number, number>();
    for (const pid of pids) {
      const seconds = cpuSeconds(pid);
      if (seconds !== null) cpu.set(pid, seconds);
    }
    return cpu;
  }

  async close(): Promise<void> {
    await this.client?.end();
  }
}

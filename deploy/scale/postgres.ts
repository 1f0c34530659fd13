import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';

/**
 * A Postgres server of the scale test's own, as a managed database would be one of its own:
 * thirteen processes with their connection pools need more connections than a shared local
 * server leaves free while other test runs use it, and their load must not be measured here.
 */
export interface PrivatePostgres {
  url: string;
  stop(): void;
}

function binDir(): string {
  const fromPgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (fromPgConfig.status === 0 && existsSync(`${fromPgConfig.stdout.trim()}/initdb`)) return fromPgConfig.stdout.trim();
  // Debian keeps the server binaries out of PATH.
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
  const dir = versions.map((version) => `/usr/lib/postgresql/${version}/bin`).findLast((candidate) => existsSync(`${candidate}/initdb`));
  if (!dir) throw new Error('The scale test starts a Postgres server of its own and found no initdb (install postgresql).');
  return dir;
}

export function startPrivatePostgres(port: number, maxConnections: number): PrivatePostgres {
  const bin = binDir();
  const dir = mkdtempSync(`${tmpdir()}/shopgraph-scale-pg-`);
  // Postgres refuses to run as root: as root, the server runs as the `postgres` user.
  const asRoot = userInfo().uid === 0;
  const run = (command: string, args: string[]) =>
    asRoot ? execFileSync('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', `${bin}/${command}`, ...args], { stdio: 'pipe' }) : execFileSync(`${bin}/${command}`, args, { stdio: 'pipe' });
  if (asRoot) {
    const postgres = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(postgres), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
  }
  run('initdb', ['-D', `${dir}/data`, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=${maxConnections}`;
  run('pg_ctl', ['-D', `${dir}/data`, '-o', options, '-l', `${dir}/server.log`, '-w', 'start']);
  // Production creates no database: the operator does, as here.
  run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'shopgraph']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/shopgraph`,
    stop() {
      run('pg_ctl', ['-D', `${dir}/data`, '-m', 'immediate', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

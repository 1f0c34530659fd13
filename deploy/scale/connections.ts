import type pg from 'pg';

/** The most client connections Postgres held at once during the run, sampled every 500 ms. */
export class PeakConnections {
  peak = 0;
  private sampling: NodeJS.Timeout | undefined;

  constructor(private readonly sql: pg.Client) {}

  /** Takes a sample (a failure of this first one is the caller's), then one every 500 ms until `stop`. */
  start(): Promise<void> {
    return this.sample();
  }

  /** Stops sampling. */
  stop(): void {
    clearTimeout(this.sampling);
  }

  /** Counts the connections now and schedules the next count. */
  private async sample(): Promise<void> {
    const { rows } = await this.sql.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where backend_type = $1', ['client backend']);
    this.peak = Math.max(this.peak, rows[0]!.n);
    this.sampling = setTimeout(() => void this.sample().catch(() => undefined), 500);
  }
}

import { gt, lte, max, sql } from 'drizzle-orm';
import { publishTokenVersion, type Db, type Logger, type SessionStoreOptions } from '@shopgraph/common';
import type { Notification, PoolClient } from 'pg';
import { sessionEnds } from '../db/schema.js';

/** The channel the users table's trigger announces each raise of a token version on (drizzle/0002_session_ends_trigger.sql). */
export const SESSION_ENDS_CHANNEL = 'shopgraph_session_ends';

/** How soon a failed publication (Redis away, the listening connection lost) is tried again. */
const RETRY_MS = 1000;

/**
 * Carries every raise of a token version to Redis, where the gateway refuses older tokens: it
 * listens on the trigger's channel, and on start, after a lost connection or a failed publish,
 * publishes again every raise younger than a token (`session_ends`), so a change made by SQL
 * while no users subgraph ran, or while Redis was away, still ends the sessions it should.
 */
export class SessionPublisher {
  private listener: { client: PoolClient; release(reason: Error | boolean): void } | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly store: SessionStoreOptions,
    private readonly logger: Logger,
  ) {}

  /** Listens, then publishes the recent raises; throws when Postgres cannot be listened to. */
  async start(): Promise<void> {
    await this.listen();
    await this.republish().catch((error: unknown) => this.failed(error));
  }

  /** Publishes one raise now: `logoutEverywhere` answers only once Redis has it. */
  publish(userId: string, version: number): Promise<void> {
    return publishTokenVersion(this.store, userId, version);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const listener = this.listener;
    this.listener = undefined;
    // A connection that listened is closed rather than handed to the pool's next query.
    listener?.release(true);
  }

  private async listen(): Promise<void> {
    const client = await this.db.$client.connect();
    let released = false;
    const onNotification = (message: Notification) => this.onNotification(message);
    const onError = (error: Error) => {
      // The connection is gone: a new one, and whatever was announced meanwhile published again.
      if (this.listener?.client === client) this.listener = undefined;
      release(error);
      this.failed(error);
    };
    // Once, whoever asks first (an error, close(), a failed LISTEN): the pool throws on a second
    // release, and an error on a connection already given back is the pool's to handle.
    const release = (reason: Error | boolean) => {
      if (released) return;
      released = true;
      client.off('notification', onNotification);
      client.off('error', onError);
      client.release(reason);
    };
    client.on('notification', onNotification);
    client.on('error', onError);
    try {
      await client.query(`listen ${SESSION_ENDS_CHANNEL}`);
    } catch (error) {
      release(error as Error);
      throw error;
    }
    // Closed while connecting (a retry): the pool must get its connection back to end.
    if (this.closed) {
      release(true);
      return;
    }
    this.listener = { client, release };
  }

  private onNotification({ channel, payload }: Notification): void {
    if (channel !== SESSION_ENDS_CHANNEL || !payload) return;
    const [userId, version] = payload.split(':');
    if (!userId || !version) return;
    this.publish(userId, Number(version)).catch((error: unknown) => this.failed(error));
  }

  /** The highest raise per user within a token's lifetime, published again; older rows are forgotten. */
  private async republish(): Promise<void> {
    const since = sql`now() - make_interval(secs => ${this.store.tokenTtlMs / 1000})`;
    const recent = await this.db
      .select({ userId: sessionEnds.userId, version: max(sessionEnds.tokenVersion) })
      .from(sessionEnds)
      .where(gt(sessionEnds.endedAt, since))
      .groupBy(sessionEnds.userId);
    await Promise.all(recent.map(({ userId, version }) => this.publish(userId, version ?? 0)));
    await this.db.delete(sessionEnds).where(lte(sessionEnds.endedAt, since));
  }

  private failed(error: unknown): void {
    if (this.closed) return;
    this.logger.error({ err: error }, 'ended sessions not published to Redis yet: retrying');
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.recover();
    }, RETRY_MS).unref();
  }

  private async recover(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.listener) await this.listen();
      await this.republish();
    } catch (error) {
      this.failed(error);
    }
  }
}

import type { Db } from '@shopgraph/common';
import type { PoolClient } from 'pg';
import { OUTBOX_CHANNEL } from './outbox.js';

/**
 * A session-level advisory lock on a dedicated pool connection. Postgres drops the lock with
 * the session, so a dead connection (or process) hands the outbox over to another replica.
 */
export interface AdvisoryLock {
  /** False once the connection failed: the lock must be assumed gone. */
  held(): boolean;
  /** Checks the connection still answers; marks the lock lost when it does not in time. */
  verify(timeoutMs: number): Promise<void>;
  release(): Promise<void>;
}

export async function tryAdvisoryLock(
  db: Db,
  key: string,
  onLost: (error: unknown) => void,
  onNotification: (payload: string | undefined) => void,
): Promise<AdvisoryLock | undefined> {
  const client: PoolClient = await db.$client.connect();
  let lost = false;
  const markLost = (error: unknown) => {
    if (lost) return;
    lost = true;
    onLost(error);
  };
  // A checked-out client that errors with no listener would crash the process.
  const onError = (error: Error) => markLost(error);
  const onEnd = () => markLost(new Error('lock connection ended'));
  const onNotify = (message: { payload?: string }) => onNotification(message.payload);
  client.on('error', onError);
  client.on('end', onEnd);
  client.on('notification', onNotify);
  const detach = () => {
    client.off('error', onError);
    client.off('end', onEnd);
    client.off('notification', onNotify);
  };
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [key]);
    if (!rows[0]?.locked) {
      detach();
      client.release();
      return undefined;
    }
    // Only the leader listens: commits that wrote outbox rows wake it (see enqueueInTransaction).
    await client.query(`listen ${OUTBOX_CHANNEL}`);
  } catch (error) {
    detach();
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  return {
    held: () => !lost,
    async verify(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.query('select 1'),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`lock connection silent for ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (error) {
        markLost(error);
      } finally {
        clearTimeout(timer);
      }
    },
    async release() {
      detach();
      // Destroying the connection ends the session and with it the lock, whatever state it is in;
      // handing it back to the pool would keep the lock alive on an idle connection.
      client.release(true);
    },
  };
}

import { reportRedisOutages, type Logger, type RedisClient } from '@shopgraph/common';
import { parseInvalidationMessage, type ResponseStore } from './store.js';

export interface InvalidationListenerOptions {
  /** A connection of its own (`createCacheConnection(url, 'subscriber')`): it is put in subscriber mode. */
  subscriber: RedisClient;
  store: ResponseStore;
  logger: Logger;
  /** Every purge, wherever it was made (this process's own included), with its expanded tags. */
  onInvalidate(tags: string[]): void;
  /** Purges may have been missed (connection lost, a gap in the epochs): forget everything. */
  onReset(): void;
}

const RESYNC_DELAY_MS = 500;

/**
 * Keeps a first level coherent with Redis and with every other process. Purges are numbered
 * (epochs) and published in order; the listener applies each one, and resets the first level
 * whenever it may have missed one: while disconnected, after a reconnect, on a gap.
 *
 * `admits(epoch)` guards inserts against the one remaining race: a response read (or stored)
 * at epoch E may enter the first level only if no purge later than E has been applied yet —
 * otherwise that purge, already applied, might have been meant for it.
 */
export class InvalidationListener {
  private synced = false;
  private closed = false;
  /** Epoch of the last message received, to notice gaps. */
  private lastMessage: number | undefined;
  /** Highest epoch whose purge this process has applied, from a message or by itself. */
  private applied = 0;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: InvalidationListenerOptions) {
    const { subscriber } = options;
    subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    subscriber.on('ready', () => void this.sync());
    subscriber.on('close', () => this.lose());
    reportRedisOutages(subscriber, options.logger, 'response cache invalidations');
    if (subscriber.status === 'ready') void this.sync();
  }

  /** True when an entry read or stored at `epoch` may be kept in the first level. */
  admits(epoch: number): boolean {
    return this.synced && this.applied <= epoch;
  }

  /** Records a purge this process applied to its first level before the purge's message arrived. */
  appliedLocally(epoch: number): void {
    this.applied = Math.max(this.applied, epoch);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.resyncTimer);
    this.synced = false;
    this.options.subscriber.disconnect();
  }

  private receive(message: string): void {
    const parsed = parseInvalidationMessage(message);
    if (!parsed) {
      this.options.logger.warn({ message }, 'response cache: ignored a malformed invalidation message');
      return;
    }
    if (this.lastMessage !== undefined && parsed.epoch !== this.lastMessage + 1) {
      // Missed purges (or Redis lost its epoch counter): start over from this one.
      this.options.onReset();
      this.applied = parsed.epoch;
    } else {
      this.applied = Math.max(this.applied, parsed.epoch);
    }
    this.lastMessage = parsed.epoch;
    this.options.onInvalidate(parsed.tags);
  }

  private lose(): void {
    if (this.synced && !this.closed) this.options.logger.warn('response cache: invalidation subscriber disconnected; first level off until it is back');
    this.synced = false;
    this.lastMessage = undefined;
    this.options.onReset();
  }

  private async sync(): Promise<void> {
    const { subscriber, store, logger } = this.options;
    this.synced = false;
    this.options.onReset();
    try {
      await subscriber.subscribe(store.keys.channel);
      // Subscribed first, then read: every purge after this epoch arrives as a message.
      const epoch = await store.epoch();
      this.lastMessage = Math.max(this.lastMessage ?? epoch, epoch);
      // The first level was just emptied: what is read from now on is newer than every purge so far.
      this.applied = epoch;
      this.synced = !this.closed;
    } catch (error) {
      if (this.closed) return;
      logger.warn({ err: error }, 'response cache: could not subscribe to invalidations; retrying');
      this.resyncTimer = setTimeout(() => void this.sync(), RESYNC_DELAY_MS);
      this.resyncTimer.unref();
    }
  }
}

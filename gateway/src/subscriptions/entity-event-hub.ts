import { entityEventsChannel, parseEntityEvent, type EntityEvent } from '@shopgraph/cache';
import { reportRedisOutages, type Logger, type RedisClient } from '@shopgraph/common';
import type { SubscriptionMetrics } from './subscription-metrics.js';

/** Told of each event of the entity it watches; `null` after the channel was lost, when events may have been missed. */
export type EntityListener = (event: EntityEvent | null) => void;

/**
 * The gateway's one subscriber connection to the entity events channel, fanned out in process to
 * the subscriptions watching each entity (`Order:<id>`), so a gateway holds one Redis connection
 * however many subscriptions it serves.
 */
export class EntityEventHub {
  private readonly listeners = new Map<string, Set<EntityListener>>();
  private readonly channel: string;
  private subscribedOnce = false;

  constructor(
    private readonly subscriber: RedisClient,
    keyPrefix: string,
    private readonly metrics: SubscriptionMetrics,
    private readonly logger: Logger,
  ) {
    this.channel = entityEventsChannel(keyPrefix);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.receive(message);
    });
    // autoResubscribe is off on a subscriber connection: each `ready` subscribes again, and after
    // a lost connection every watcher re-reads its entity, since events may have gone by meanwhile.
    subscriber.on('ready', () => void this.subscribe());
    reportRedisOutages(subscriber, logger, 'subscription events');
    if (subscriber.status === 'ready') void this.subscribe();
  }

  /** Calls `listener` with the events of `typename:id` until the returned function is called. */
  watch(typename: string, id: string, listener: EntityListener): () => void {
    const key = `${typename}:${id}`;
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }

  close(): void {
    this.subscriber.disconnect();
  }

  private receive(message: string): void {
    const event = parseEntityEvent(message);
    if (!event) {
      this.logger.warn({ message: message.slice(0, 200) }, 'subscriptions: an entity event that does not parse was ignored');
      return;
    }
    this.metrics.eventsIn.inc({ typename: event.typename });
    const set = this.listeners.get(`${event.typename}:${event.id}`);
    if (set) for (const listener of [...set]) listener(event);
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
    } catch (error) {
      // The next `ready` tries again.
      this.logger.warn({ err: error }, 'subscriptions: could not subscribe to entity events');
      return;
    }
    if (this.subscribedOnce) {
      for (const set of this.listeners.values()) for (const listener of [...set]) listener(null);
    }
    this.subscribedOnce = true;
  }
}

import { sessionEndsChannel, type Logger, type RedisClient } from '@shopgraph/common';

/** Told the id of a user whose sessions were written (one may have ended); `null` after the channel was lost, when any may have. */
export type SessionEndListener = (userId: string | null) => void;

/**
 * Listens, on the gateway's subscriber connection (the entity events' one), to the announcements
 * made with each write of a user's session state (packages/common/src/sessions.ts): `logout`,
 * `logoutEverywhere`, a changed role or password end that user's subscriptions on every gateway at
 * once, not at their next event.
 */
export function listenToSessionEnds(subscriber: RedisClient, sessionKeyPrefix: string, listener: SessionEndListener, logger: Logger): void {
  const channel = sessionEndsChannel(sessionKeyPrefix);
  let subscribedOnce = false;
  const subscribe = async () => {
    try {
      await subscriber.subscribe(channel);
    } catch (error) {
      logger.warn({ err: error }, 'subscriptions: could not subscribe to ended sessions');
      return;
    }
    if (subscribedOnce) listener(null);
    subscribedOnce = true;
  };
  subscriber.on('message', (from: string, userId: string) => {
    if (from === channel && userId) listener(userId);
  });
  // As the entity event hub: each `ready` subscribes again (autoResubscribe is off there), and
  // announcements may have gone by while the connection was lost.
  subscriber.on('ready', () => void subscribe());
  if (subscriber.status === 'ready') void subscribe();
}

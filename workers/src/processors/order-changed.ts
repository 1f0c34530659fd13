/**
 * After an order may have changed: purges the gateways' cached copies of it and tells its
 * subscriptions (an entity event), in one round trip (`WorkerContext.entitiesChanged`). Rejects
 * when Redis cannot be reached: the job fails and runs again.
 */
export type OrderChanged = (orderId: string) => Promise<void>;

/**
 * Runs a job's saga, then purges its order's cached copies and announces it together with the
 * products the saga moved, in one call (`WorkerContext.announcing`) — also when the saga threw,
 * since the steps before the one that threw have committed.
 */
export type Announce = <T>(orderId: string, run: () => Promise<T>) => Promise<T>;

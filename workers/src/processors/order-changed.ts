/**
 * Tells the gateways' subscriptions that an order may have changed (an entity event). Never
 * rejects: the job's own outcome matters more than one missed push, and a subscriber catches up
 * on the order's next event or when it reconnects.
 */
export type OrderChanged = (orderId: string) => Promise<void>;

/**
 * Runs a job's saga, then announces its order together with the products the saga moved, in
 * one entity event publish (`WorkerContext.announcing`) — also when the saga threw, since the
 * steps before the one that threw have committed.
 */
export type Announce = <T>(orderId: string, run: () => Promise<T>) => Promise<T>;

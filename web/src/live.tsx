import type { OperationVariables, TypedDocumentNode } from '@apollo/client';
import { useSubscription } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { Notice } from './components/feedback';

/** The wait before subscribing again after the live connection dropped: doubling, at most this. */
const MAX_RECONNECT_MS = 10_000;

/**
 * Keeps a subscription open while `active`: each push is written to the cache by id, so the page
 * reading the entity changes with no request of its own. When the connection drops (the gateway
 * restarts, the network goes), it subscribes again after a growing wait; the first push of the new
 * subscription is the entity as it is now, which catches the page up. `interrupted` is true from
 * the drop until that push arrives.
 */
export function useLive<TData, TVariables extends OperationVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  active: boolean,
): { interrupted: boolean } {
  const [drops, setDrops] = useState(0);
  const dropped = () => setDrops((n) => n + 1);
  const { restart } = useSubscription(document as TypedDocumentNode<TData, OperationVariables>, {
    variables,
    skip: !active,
    onData: () => setDrops(0),
    onError: dropped,
    onComplete: dropped,
  });
  useEffect(() => {
    if (drops === 0 || !active) return;
    const timer = setTimeout(restart, Math.min(500 * 2 ** drops, MAX_RECONNECT_MS));
    return () => clearTimeout(timer);
  }, [drops, active, restart]);
  return { interrupted: active && drops > 0 };
}

/** What a page shows while its live updates are interrupted. */
export function LiveInterrupted({ what }: { what: string }) {
  return (
    <Notice kind="warning">
      <span data-testid="live-interrupted">Live updates of {what} are interrupted: reconnecting…</span>
    </Notice>
  );
}

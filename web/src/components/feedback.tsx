import type { ReactNode } from 'react';
import { describeError, isRetryable } from '../errors';

/** A spinner with words, for every wait. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function Notice({
  kind,
  children,
  action,
}: {
  kind: 'error' | 'info' | 'success' | 'warning';
  children: ReactNode;
  /** A button beside the message, such as "Try again". */
  action?: ReactNode;
}) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <div>{children}</div>
      {action}
    </div>
  );
}

/** An error in words, with a way to try again when that may help. */
export function ErrorNotice({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <Notice
      kind="error"
      action={
        retry &&
        isRetryable(error) && (
          <button type="button" className="button button-small" onClick={retry}>
            Try again
          </button>
        )
      }
    >
      {describeError(error)}
    </Notice>
  );
}

import { useState, type ReactNode } from 'react';
import { ErrorNotice } from './feedback';

interface LoadMoreProps {
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  loading: boolean;
  /** Apollo's `fetchMore` of the list's query; the cache policy appends the page. */
  fetchMore: (options: { variables: { after: string | null } }) => Promise<unknown>;
  /** Shown beside the button, e.g. "Showing 12 of 40". */
  children?: ReactNode;
}

/** The "Load more" of every cursor-paginated list, with its own loading state and error. */
export function LoadMore({ pageInfo, loading, fetchMore, children }: LoadMoreProps) {
  const [error, setError] = useState<unknown>();
  return (
    <>
      <div className="more">
        {children}
        {pageInfo.hasNextPage && (
          <button
            type="button"
            className="button button-secondary"
            disabled={loading}
            onClick={() => {
              setError(undefined);
              fetchMore({ variables: { after: pageInfo.endCursor ?? null } }).catch(setError);
            }}
          >
            {loading ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
      {error !== undefined && <ErrorNotice error={error} />}
    </>
  );
}

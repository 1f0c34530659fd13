/** What names an operation apart from its variables: its text and, for a document of several, which one. */
interface OperationText {
  query?: unknown;
  operationName?: unknown;
}

/** Operation texts remembered at most; past it, the memory starts again (each costs one lookup to learn anew). */
const MAX_REMEMBERED = 10_000;

const keyOf = ({ query, operationName }: OperationText): string | undefined =>
  typeof query === 'string' ? `${typeof operationName === 'string' ? operationName : ''}\n${query}` : undefined;

/**
 * Operations whose answers the cache may not keep (their subgraphs send no-store or max-age 0: an
 * order read by id, a user's nested orders), learnt from their executions, so that later reads of
 * them skip both levels' lookups: an order's status poll costs Redis nothing. Learnt per operation text, whatever its
 * variables; an execution that turns out cacheable (a hint that depends on the data) forgets it
 * again, so the worst a wrong guess costs is one answer not kept.
 */
export class UncacheableOperations {
  private readonly known = new Set<string>();

  /** True when the last execution of this operation could not be kept. */
  has(body: OperationText): boolean {
    const key = keyOf(body);
    return key !== undefined && this.known.has(key);
  }

  /** Records what an execution without errors showed: whether its answer could be kept. */
  learn(request: OperationText, cacheable: boolean): void {
    const key = keyOf(request);
    if (key === undefined) return;
    if (cacheable) {
      this.known.delete(key);
      return;
    }
    if (this.known.size >= MAX_REMEMBERED) this.known.clear();
    this.known.add(key);
  }
}

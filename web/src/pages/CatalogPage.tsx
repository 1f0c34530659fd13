import { NetworkStatus } from '@apollo/client';
import { useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { ErrorNotice, Loading } from '../components/feedback';
import { LoadMore } from '../components/LoadMore';
import { ProductCard } from '../components/ProductCard';
import { PRODUCT_STOCK, PRODUCTS } from '../graph';
import { LiveInterrupted, useLive } from '../live';

const PAGE_SIZE = 12;
/** The most products one subscription watches (the gateway's SUBSCRIPTIONS_MAX_IDS): the first pages shown. */
const LIVE_PRODUCTS = 100;

export function CatalogPage() {
  const [params, setParams] = useSearchParams();
  const search = params.get('q')?.trim() || null;
  // cache-and-network: the cached page shows at once, then the stock levels are refreshed.
  const { data, error, networkStatus, fetchMore, refetch } = useQuery(PRODUCTS, {
    variables: { first: PAGE_SIZE, search },
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });

  const products = data?.products;
  const loadingMore = networkStatus === NetworkStatus.fetchMore;
  // Stock and prices on screen change as orders reserve and admins restock: pushed, not polled.
  const ids = products?.edges.slice(0, LIVE_PRODUCTS).map(({ node }) => node.id) ?? [];
  // Once the page has answered, as on the order page: an older answer must not land after a push.
  const { interrupted } = useLive(PRODUCT_STOCK, { ids }, ids.length > 0 && networkStatus === NetworkStatus.ready);

  return (
    <section>
      <div className="page-head">
        <div>
          <h1>{search ? `Results for “${search}”` : 'The shop'}</h1>
          {products && (
            <p className="muted" data-testid="result-count">
              {products.totalCount === 1 ? '1 product' : `${products.totalCount} products`}
            </p>
          )}
        </div>
        {/* Keyed by the term so going back and forth in history shows the term of the page. */}
        <SearchForm
          key={search ?? ''}
          initial={search ?? ''}
          // Searching the shown term again asks the shop again, as a person pressing Search expects.
          onSearch={(term) => (term === (search ?? '') ? void refetch() : setParams(term ? { q: term } : {}))}
        />
      </div>

      {error && <ErrorNotice error={error} retry={() => void refetch()} />}
      {interrupted && <LiveInterrupted what="stock" />}
      {!products && !error && <Loading label="Loading products…" />}
      {products && products.edges.length === 0 && (
        <p className="empty">{search ? `No products match “${search}”.` : 'The shop has no products yet.'}</p>
      )}
      {products && products.edges.length > 0 && (
        <>
          <div className="grid">
            {products.edges.map(({ node }) => (
              <ProductCard key={node.id} product={node} />
            ))}
          </div>
          <LoadMore pageInfo={products.pageInfo} loading={loadingMore} fetchMore={fetchMore}>
            <span className="muted">
              Showing {products.edges.length} of {products.totalCount}
            </span>
          </LoadMore>
        </>
      )}
    </section>
  );
}

function SearchForm({ initial, onSearch }: { initial: string; onSearch: (term: string) => void }) {
  const [draft, setDraft] = useState(initial);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(draft.trim());
  };
  return (
    <form className="search" role="search" onSubmit={submit}>
      <input
        type="search"
        aria-label="Search products"
        placeholder="Search by name, SKU or description"
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        maxLength={200}
      />
      <button type="submit" className="button">
        Search
      </button>
    </form>
  );
}

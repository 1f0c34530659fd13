import { NetworkStatus } from '@apollo/client';
import type { ApolloCache } from '@apollo/client/cache';
import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link } from 'react-router';
import { ErrorNotice, Loading, Notice } from '../components/feedback';
import { LoadMore } from '../components/LoadMore';
import { ProductForm, type NewProductExtras, type ProductFields } from '../components/ProductForm';
import { StockLevel } from '../components/ProductCard';
import { Price } from '../components/status';
import {
  CREATE_PRODUCT,
  DELETE_PRODUCT,
  PRODUCTS,
  RESTOCK_PRODUCT,
  UPDATE_PRODUCT,
  type Product,
  type ProductInput,
} from '../graph';
import { toMoneyInput } from '../money';
import { useRuntimeConfig } from '../runtime-config';
import { useSession } from '../session';

const PAGE_SIZE = 20;

/** Every cached product list may now be wrong (a product added or gone): they refetch when next shown. */
function dropProductLists(cache: ApolloCache) {
  cache.evict({ fieldName: 'products' });
  cache.gc();
}

export function AdminPage() {
  const { viewer, loading } = useSession();
  if (loading) return <Loading label="Checking your login…" />;
  if (!viewer) {
    return (
      <Notice kind="info">
        <Link to="/login?next=/admin">Log in</Link> with an admin account to manage the catalog.
      </Notice>
    );
  }
  if (viewer.role !== 'ADMIN') return <Notice kind="error">This page is for admins only.</Notice>;
  return (
    <section>
      <div className="page-head">
        <h1>Admin</h1>
        <DashboardLink />
      </div>
      <NewProduct />
      <ProductList />
    </section>
  );
}

function DashboardLink() {
  const { config, error } = useRuntimeConfig();
  if (error) return <span className="muted">The queue dashboard address could not be loaded.</span>;
  if (!config) return <span className="muted">…</span>;
  return (
    <a className="button button-secondary" href={config.dashboardUrl} target="_blank" rel="noreferrer">
      Queue dashboard ↗
    </a>
  );
}

/** A new product's form starts empty, in euros, with nothing on hand. */
const EMPTY: ProductFields = { sku: '', name: '', description: '', price: '', currency: 'EUR', stock: '0' };

function NewProduct() {
  const [created, setCreated] = useState<Product>();
  const [create, { loading, error, reset }] = useMutation(CREATE_PRODUCT, { update: dropProductLists });
  const save = async (input: ProductInput, { sku, stock }: NewProductExtras) => {
    setCreated(undefined);
    reset();
    const result = await create({ variables: { input: { ...input, sku, stock } } }).catch(() => undefined);
    if (result?.data) setCreated(result.data.createProduct);
    return Boolean(result?.data);
  };
  return (
    <ProductForm
      label="New product"
      title="New product"
      className="panel form form-grid"
      initial={EMPTY}
      isNew
      submitLabel={['Create product', 'Creating…']}
      loading={loading}
      error={error}
      save={save}
      status={
        created && (
          <Notice kind="success">
            Created <Link to={`/products/${created.id}`}>{created.name}</Link> ({created.sku}).
          </Notice>
        )
      }
    />
  );
}

function ProductList() {
  const [search, setSearch] = useState('');
  const [term, setTerm] = useState<string | null>(null);
  const { data, error, networkStatus, fetchMore, refetch } = useQuery(PRODUCTS, {
    variables: { first: PAGE_SIZE, search: term },
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });
  const products = data?.products;
  return (
    <div className="panel">
      <div className="page-head">
        <h2>Catalog{products && <span className="muted"> · {products.totalCount} products</span>}</h2>
        <form
          className="search"
          role="search"
          onSubmit={(event) => {
            event.preventDefault();
            setTerm(search.trim() || null);
          }}
        >
          <input
            type="search"
            aria-label="Search the catalog"
            placeholder="Search"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
          <button type="submit" className="button button-secondary">
            Search
          </button>
        </form>
      </div>
      {error && <ErrorNotice error={error} retry={() => void refetch()} />}
      {!products && !error && <Loading label="Loading the catalog…" />}
      {products && products.edges.length === 0 && <p className="empty">No products.</p>}
      {products && products.edges.length > 0 && (
        <table className="table admin-table">
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Price</th>
              <th scope="col">Stock</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {products.edges.map(({ node }) => (
              <AdminRow key={node.id} product={node} />
            ))}
          </tbody>
        </table>
      )}
      {products && (
        <LoadMore pageInfo={products.pageInfo} loading={networkStatus === NetworkStatus.fetchMore} fetchMore={fetchMore} />
      )}
    </div>
  );
}

function AdminRow({ product }: { product: Product }) {
  const [mode, setMode] = useState<'view' | 'edit' | 'delete'>('view');
  return (
    <tr aria-label={product.name}>
      <td>
        <Link to={`/products/${product.id}`}>{product.name}</Link>
        <div className="sku">{product.sku}</div>
      </td>
      <td>
        <Price money={product.price} />
      </td>
      <td>
        <StockLevel stock={product.stock} />
        <Restock product={product} />
      </td>
      <td className="actions-cell">
        {mode === 'view' && (
          <>
            <button type="button" className="button button-small button-secondary" onClick={() => setMode('edit')}>
              Edit
            </button>
            <button type="button" className="button button-small button-secondary" onClick={() => setMode('delete')}>
              Delete
            </button>
          </>
        )}
        {mode === 'edit' && <EditProduct product={product} done={() => setMode('view')} />}
        {mode === 'delete' && <DeleteProduct product={product} done={() => setMode('view')} />}
      </td>
    </tr>
  );
}

function Restock({ product }: { product: Product }) {
  const [quantity, setQuantity] = useState('10');
  const [restock, { loading, error }] = useMutation(RESTOCK_PRODUCT);
  return (
    <form
      className="inline-form"
      aria-label={`Restock ${product.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        restock({ variables: { id: product.id, quantity: Number(quantity) } }).catch(() => undefined);
      }}
    >
      <input
        type="number"
        className="quantity"
        min={1}
        aria-label={`Units to add to ${product.name}`}
        value={quantity}
        onChange={(event) => setQuantity(event.target.value)}
      />
      <button type="submit" className="button button-small" disabled={loading}>
        {loading ? 'Adding…' : 'Restock'}
      </button>
      {error && <ErrorNotice error={error} />}
    </form>
  );
}

function EditProduct({ product, done }: { product: Product; done: () => void }) {
  const [update, { loading, error, reset }] = useMutation(UPDATE_PRODUCT);
  const save = async (input: ProductInput) => {
    reset();
    const result = await update({ variables: { id: product.id, input } }).catch(() => undefined);
    if (result?.data) done();
    return Boolean(result?.data);
  };
  return (
    <ProductForm
      label={`Edit ${product.name}`}
      className="form edit-form"
      initial={{
        ...EMPTY,
        name: product.name,
        description: product.description ?? '',
        price: toMoneyInput(product.price),
        currency: product.price.currency,
      }}
      submitLabel={['Save', 'Saving…']}
      loading={loading}
      error={error}
      save={save}
      actions={
        <button type="button" className="button button-secondary" onClick={done}>
          Cancel
        </button>
      }
    />
  );
}

function DeleteProduct({ product, done }: { product: Product; done: () => void }) {
  const [remove, { loading, error }] = useMutation(DELETE_PRODUCT, {
    update: (cache) => {
      cache.evict({ id: cache.identify({ __typename: 'Product', id: product.id }) });
      dropProductLists(cache);
    },
  });
  return (
    <div className="confirm" role="group" aria-label={`Delete ${product.name}`}>
      <span>Delete {product.name}? Orders that hold it keep it.</span>
      {error && <ErrorNotice error={error} />}
      <button
        type="button"
        className="button button-small button-danger"
        disabled={loading}
        onClick={() => {
          remove({ variables: { id: product.id } }).catch(() => undefined);
        }}
      >
        {loading ? 'Deleting…' : 'Yes, delete'}
      </button>
      <button type="button" className="button button-small button-secondary" onClick={done}>
        Keep it
      </button>
    </div>
  );
}

import { NetworkStatus } from '@apollo/client';
import type { ApolloCache } from '@apollo/client/cache';
import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ErrorNotice, Loading, Notice } from '../components/feedback';
import { LoadMore } from '../components/LoadMore';
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
import { parseMoneyInput, toMoneyInput } from '../money';
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

interface PriceFields {
  price: string;
  currency: string;
}

/** The product input from the form's text, or a sentence saying what is wrong. */
function toProductInput(fields: { name: string; description: string } & PriceFields): ProductInput | string {
  const currency = fields.currency.trim().toUpperCase();
  let amount: number | null;
  try {
    amount = parseMoneyInput(fields.price, currency);
  } catch {
    return `“${fields.currency}” is not a currency code (try EUR or USD).`;
  }
  if (amount === null) return `“${fields.price}” is not a price: use digits, like 14.90.`;
  return { name: fields.name.trim(), description: fields.description.trim() || null, price: { amount, currency } };
}

function NewProduct() {
  const empty = { sku: '', name: '', description: '', price: '', currency: 'EUR', stock: '0' };
  const [fields, setFields] = useState(empty);
  const [problem, setProblem] = useState<string>();
  const [created, setCreated] = useState<Product>();
  const [create, { loading, error, reset }] = useMutation(CREATE_PRODUCT, { update: dropProductLists });
  const set = (name: keyof typeof empty) => (event: { target: { value: string } }) =>
    setFields((current) => ({ ...current, [name]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setCreated(undefined);
    reset();
    const input = toProductInput(fields);
    setProblem(typeof input === 'string' ? input : undefined);
    if (typeof input === 'string') return;
    const result = await create({
      variables: { input: { ...input, sku: fields.sku.trim(), stock: Number(fields.stock) } },
    }).catch(() => undefined);
    if (result?.data) {
      setCreated(result.data.createProduct);
      setFields(empty);
    }
  };

  return (
    <form className="panel form form-grid" aria-label="New product" onSubmit={(event) => void submit(event)}>
      <h2>New product</h2>
      <label className="field">
        SKU
        <input required value={fields.sku} onChange={set('sku')} maxLength={64} />
      </label>
      <label className="field">
        Name
        <input required value={fields.name} onChange={set('name')} maxLength={200} />
      </label>
      <label className="field field-wide">
        Description
        <textarea value={fields.description} onChange={set('description')} maxLength={5000} rows={2} />
      </label>
      <label className="field">
        Price
        <input required inputMode="decimal" placeholder="14.90" value={fields.price} onChange={set('price')} />
      </label>
      <label className="field">
        Currency
        <input required value={fields.currency} onChange={set('currency')} maxLength={3} />
      </label>
      <label className="field">
        Initial stock
        <input required type="number" min={0} value={fields.stock} onChange={set('stock')} />
      </label>
      <div className="field-wide">
        {problem && <Notice kind="error">{problem}</Notice>}
        {error && <ErrorNotice error={error} />}
        {created && (
          <Notice kind="success">
            Created <Link to={`/products/${created.id}`}>{created.name}</Link> ({created.sku}).
          </Notice>
        )}
        <button type="submit" className="button" disabled={loading}>
          {loading ? 'Creating…' : 'Create product'}
        </button>
      </div>
    </form>
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
  const [fields, setFields] = useState({
    name: product.name,
    description: product.description ?? '',
    price: toMoneyInput(product.price),
    currency: product.price.currency,
  });
  const [problem, setProblem] = useState<string>();
  const [update, { loading, error, reset }] = useMutation(UPDATE_PRODUCT);
  const set = (name: keyof typeof fields) => (event: { target: { value: string } }) =>
    setFields((current) => ({ ...current, [name]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    reset();
    const input = toProductInput(fields);
    setProblem(typeof input === 'string' ? input : undefined);
    if (typeof input === 'string') return;
    const result = await update({ variables: { id: product.id, input } }).catch(() => undefined);
    if (result?.data) done();
  };

  return (
    <form className="form edit-form" aria-label={`Edit ${product.name}`} onSubmit={(event) => void submit(event)}>
      <label className="field">
        Name
        <input required value={fields.name} onChange={set('name')} maxLength={200} />
      </label>
      <label className="field">
        Description
        <textarea value={fields.description} onChange={set('description')} rows={2} maxLength={5000} />
      </label>
      <div className="field-row">
        <label className="field">
          Price
          <input required inputMode="decimal" value={fields.price} onChange={set('price')} />
        </label>
        <label className="field">
          Currency
          <input required value={fields.currency} onChange={set('currency')} maxLength={3} />
        </label>
      </div>
      {problem && <Notice kind="error">{problem}</Notice>}
      {error && <ErrorNotice error={error} />}
      <div className="actions">
        <button type="submit" className="button button-small" disabled={loading}>
          {loading ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button button-small button-secondary" onClick={done}>
          Cancel
        </button>
      </div>
    </form>
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

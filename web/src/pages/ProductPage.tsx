import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useCart } from '../cart';
import { ErrorNotice, Loading, Notice } from '../components/feedback';
import { errorCode } from '../errors';
import { StockLevel } from '../components/ProductCard';
import { Price } from '../components/status';
import { PRODUCT } from '../graph';

/** How often the page asks for the stock level while it is open. */
const STOCK_POLL_MS = 2000;

export function ProductPage() {
  const { id = '' } = useParams();
  const cart = useCart();
  const { data, error, refetch } = useQuery(PRODUCT, {
    variables: { id },
    fetchPolicy: 'cache-and-network',
    pollInterval: STOCK_POLL_MS,
  });
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<number>();

  // A deleted product is NOT_FOUND; a mistyped id in the address is BAD_USER_INPUT.
  const missing = ['NOT_FOUND', 'BAD_USER_INPUT'].includes(errorCode(error) ?? '');
  if (error && !data?.product && !missing) return <ErrorNotice error={error} retry={() => void refetch()} />;
  if (!data && !missing) return <Loading label="Loading the product…" />;
  const product = data?.product;
  if (!product) {
    return (
      <section className="panel">
        <h1>This product is not in the catalog</h1>
        <p>
          It may have been removed, or the address is mistyped. <Link to="/">Back to the shop</Link>
        </p>
      </section>
    );
  }

  const inCart = cart.quantityOf(product.id);
  const available = Math.max(0, product.stock - inCart);
  return (
    <section className="panel product-page">
      <p className="crumbs">
        <Link to="/">Shop</Link> / {product.sku}
      </p>
      <div className="product-detail">
        <div className="product-art product-art-large" aria-hidden="true">
          {product.name.slice(0, 1)}
        </div>
        <div className="product-info">
          <h1>{product.name}</h1>
          <p className="sku">SKU {product.sku}</p>
          {product.description && <p className="description">{product.description}</p>}
          <p className="product-price">
            <Price money={product.price} />
          </p>
          <p aria-live="polite">
            <StockLevel stock={product.stock} /> <span className="muted">· updates live</span>
          </p>
          {error && <ErrorNotice error={error} />}
          <form
            className="add-form"
            onSubmit={(event) => {
              event.preventDefault();
              cart.add(product.id, quantity);
              setAdded(quantity);
              setQuantity(1);
            }}
          >
            <label>
              Quantity
              <input
                type="number"
                min={1}
                max={Math.max(1, available)}
                value={quantity}
                onChange={(event) => setQuantity(Math.max(1, Math.floor(Number(event.target.value) || 1)))}
              />
            </label>
            <button type="submit" className="button" disabled={available < quantity}>
              Add to cart
            </button>
          </form>
          {available < quantity && product.stock > 0 && (
            <p className="muted">
              {inCart > 0 ? `You have ${inCart} in your cart; ` : ''}
              {available} more available.
            </p>
          )}
          {added !== undefined && (
            <Notice kind="success">
              Added {added} to your cart. <Link to="/cart">Go to the cart</Link> or{' '}
              <Link to="/">keep shopping</Link>.
            </Notice>
          )}
        </div>
      </div>
    </section>
  );
}

import { useFragment, useMutation, useQuery } from '@apollo/client/react';
import { Link, useNavigate } from 'react-router';
import { useCart, type CartLine } from '../cart';
import { ErrorNotice, Loading, Notice } from '../components/feedback';
import { StockLevel } from '../components/ProductCard';
import { Price } from '../components/status';
import { CART_PRODUCT, PLACE_ORDER, PRODUCT } from '../graph';
import { formatMoney, sumMoney } from '../money';
import { useSession } from '../session';

export function CartPage() {
  const cart = useCart();
  if (cart.lines.length === 0) {
    return (
      <section className="panel">
        <h1>Your cart is empty</h1>
        <p>
          <Link to="/">Browse the shop</Link> and add something you like.
        </p>
      </section>
    );
  }
  return (
    <section className="panel">
      <h1>Your cart</h1>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Price</th>
            <th scope="col">Quantity</th>
            <th scope="col" className="numeric">
              Subtotal
            </th>
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {cart.lines.map((line) => (
            <CartRow key={line.productId} line={line} />
          ))}
        </tbody>
      </table>
      <CartSummary lines={cart.lines} />
    </section>
  );
}

function CartRow({ line }: { line: CartLine }) {
  const cart = useCart();
  // Fresh stock for each line; the catalog's cached copy shows until it arrives.
  const { data, error, refetch } = useQuery(PRODUCT, { variables: { id: line.productId }, fetchPolicy: 'cache-and-network' });
  const product = data?.product;
  return (
    <tr>
      <td>
        {product ? (
          <>
            <Link to={`/products/${product.id}`}>{product.name}</Link>
            <div className="muted small">
              <StockLevel stock={product.stock} />
            </div>
            {product.stock < line.quantity && (
              <div className="warning-text">Only {product.stock} available: lower the quantity to order.</div>
            )}
          </>
        ) : error ? (
          <ErrorNotice error={error} retry={() => void refetch()} />
        ) : data ? (
          <span className="warning-text">This product is not sold anymore: remove it to order.</span>
        ) : (
          <Loading label="Loading…" />
        )}
      </td>
      <td>{product && <Price money={product.price} />}</td>
      <td>
        <input
          type="number"
          className="quantity"
          aria-label={`Quantity of ${product?.name ?? 'this product'}`}
          min={1}
          value={line.quantity}
          onChange={(event) => cart.setQuantity(line.productId, Math.max(1, Math.floor(Number(event.target.value) || 1)))}
        />
      </td>
      <td className="numeric">
        {product && <Price money={{ ...product.price, amount: product.price.amount * line.quantity }} />}
      </td>
      <td>
        <button type="button" className="button button-link" onClick={() => cart.remove(line.productId)}>
          Remove
        </button>
      </td>
    </tr>
  );
}

function CartSummary({ lines }: { lines: CartLine[] }) {
  const cart = useCart();
  const { viewer, loading: sessionLoading } = useSession();
  const navigate = useNavigate();
  const products = useFragment({
    fragment: CART_PRODUCT,
    from: lines.map((line) => ({ __typename: 'Product', id: line.productId })),
  });
  const [placeOrder, { loading, error }] = useMutation(PLACE_ORDER, {
    // The order lists now miss this order: drop them so the next visit fetches them.
    update: (cache) => {
      cache.evict({ fieldName: 'orders' });
      cache.gc();
    },
  });

  const known = products.complete ? products.data : null;
  const estimate = known
    ? sumMoney(known.map((product, i) => ({ price: product.price, quantity: lines[i]!.quantity })))
    : null;
  const orderable = known !== null && known.every((product, i) => product.stock >= lines[i]!.quantity);

  const place = async () => {
    const result = await placeOrder({
      variables: { input: { items: lines.map(({ productId, quantity }) => ({ productId, quantity })) }, idempotencyKey: cart.checkoutKey },
    }).catch(() => undefined);
    const order = result?.data?.placeOrder;
    if (order) {
      cart.clear();
      navigate(`/orders/${order.id}`);
    }
  };

  return (
    <div className="summary">
      <p className="total">
        Estimated total:{' '}
        <strong>{estimate ? formatMoney(estimate) : known ? 'items in several currencies' : 'calculating…'}</strong>
      </p>
      <p className="muted small">Prices and stock are confirmed when your items are reserved, right after you order.</p>
      {error && <ErrorNotice error={error} />}
      {sessionLoading ? (
        <Loading label="Checking your login…" />
      ) : viewer ? (
        <button type="button" className="button button-large" disabled={loading || !orderable} onClick={() => void place()}>
          {loading ? 'Placing your order…' : 'Place order'}
        </button>
      ) : (
        <Notice kind="info">
          <Link to="/login?next=/cart">Log in</Link> or <Link to="/register?next=/cart">create an account</Link> to place your
          order. Your cart stays here.
        </Notice>
      )}
    </div>
  );
}

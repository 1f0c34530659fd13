import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { groupDigits, TEST_CARDS } from '../cards';
import { ErrorNotice, Loading, Notice } from '../components/feedback';
import { describeFailure, OrderStatusBadge, PaymentStatusBadge, Price } from '../components/status';
import { errorCode } from '../errors';
import { CANCEL_ORDER, ORDER, ORDER_UPDATED, PAY_ORDER, UPDATE_ORDER_ITEM, type Money, type Order, type OrderItem } from '../graph';
import { LiveInterrupted, useLive } from '../live';
import { formatMoney } from '../money';
import { useSession } from '../session';

export function OrderPage() {
  const { id = '' } = useParams();
  const { viewer, loading: sessionLoading } = useSession();
  const { data, error, refetch, loading } = useQuery(ORDER, {
    variables: { id },
    skip: !viewer,
    fetchPolicy: 'cache-and-network',
  });
  const order = data?.order;
  // The workers' progress (reserved, charged, refunded) arrives as pushes, no polling. Subscribed
  // once the query has answered: an answer read before a push but arriving after it would put
  // the older state back in the cache.
  const { interrupted } = useLive(ORDER_UPDATED, { id }, !!order && !loading);

  if (sessionLoading) return <Loading label="Checking your login…" />;
  if (!viewer) {
    return (
      <Notice kind="info">
        <Link to={`/login?next=/orders/${id}`}>Log in</Link> to see this order.
      </Notice>
    );
  }
  // Another customer's order looks exactly like a missing one (NOT_FOUND), and so does a mistyped id.
  const missing = ['NOT_FOUND', 'BAD_USER_INPUT'].includes(errorCode(error) ?? '');
  if (error && !order && !missing) return <ErrorNotice error={error} retry={() => void refetch()} />;
  if (!data && !missing) return <Loading label="Loading your order…" />;
  if (!order) {
    return (
      <section className="panel">
        <h1>We could not find this order</h1>
        <p>
          <Link to="/orders">See your orders</Link>
        </p>
      </section>
    );
  }

  return (
    <section className="panel order-page">
      <p className="crumbs">
        <Link to="/orders">Orders</Link> / {order.id.slice(0, 8)}
      </p>
      <div className="page-head">
        <h1>
          Order <span className="mono">{order.id.slice(0, 8)}</span>
        </h1>
        <span className="order-status" data-testid="order-status">
          <OrderStatusBadge status={order.status} />
        </span>
      </div>
      <p className="muted">Placed {new Date(order.createdAt).toLocaleString()}</p>
      {error && <ErrorNotice error={error} />}
      {interrupted && <LiveInterrupted what="this order" />}
      <Progress order={order} />
      <StatusMessage order={order} />
      <Items order={order} />
      {order.payment && <PaymentPanel order={order} />}
      {order.status === 'AWAITING_PAYMENT' && order.payment?.status !== 'PROCESSING' && order.total && (
        <PaymentForm order={order} total={order.total} />
      )}
      <CancelOrder order={order} />
    </section>
  );
}

const STEPS = ['Placed', 'Reserved', 'Paid'] as const;

function Progress({ order }: { order: Order }) {
  const reached =
    order.status === 'PAID' ? 3 : order.status === 'AWAITING_PAYMENT' ? 2 : order.status === 'PENDING' ? 1 : 0;
  if (reached === 0) return null;
  return (
    <ol className="progress" aria-label="Order progress">
      {STEPS.map((step, i) => (
        <li key={step} className={i < reached ? 'done' : i === reached ? 'current' : ''}>
          {step}
        </li>
      ))}
    </ol>
  );
}

function StatusMessage({ order }: { order: Order }) {
  switch (order.status) {
    case 'PENDING':
      return <Loading label="Reserving your items…" />;
    case 'AWAITING_PAYMENT':
      return order.payment?.status === 'PROCESSING' ? null : (
        <Notice kind="info">Your items are reserved. Pay below to complete the order.</Notice>
      );
    case 'PAID':
      return <Notice kind="success">Paid. Thank you for your order!</Notice>;
    case 'REJECTED':
      return (
        <Notice kind="error">
          We could not reserve your items: <span data-testid="status-reason">{order.statusReason ?? 'no reason given'}</span>
        </Notice>
      );
    case 'EXPIRED':
      return (
        <Notice kind="warning">
          This order expired: <span data-testid="status-reason">{order.statusReason ?? 'it was not paid in time'}</span>
        </Notice>
      );
    case 'CANCELLED':
      return <Notice kind="info">This order was cancelled and its items released.</Notice>;
  }
}

function Items({ order }: { order: Order }) {
  const editable = order.status === 'AWAITING_PAYMENT' && order.payment?.status !== 'PROCESSING';
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Product</th>
          <th scope="col">Unit price</th>
          <th scope="col">Quantity</th>
          <th scope="col" className="numeric">
            Subtotal
          </th>
        </tr>
      </thead>
      <tbody>
        {order.items.map((item) => (
          <tr key={item.product.id}>
            <td>
              <Link to={`/products/${item.product.id}`}>{item.productName ?? item.product.name}</Link>
            </td>
            <td>{item.unitPrice ? <Price money={item.unitPrice} /> : <span className="muted">pricing…</span>}</td>
            <td>{editable ? <QuantityEditor order={order} item={item} /> : item.quantity}</td>
            <td className="numeric">
              {item.unitPrice && <Price money={{ ...item.unitPrice, amount: item.unitPrice.amount * item.quantity }} />}
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" colSpan={3}>
            Total
          </th>
          <td className="numeric" data-testid="order-total">
            {order.total ? <strong>{formatMoney(order.total)}</strong> : <span className="muted">once reserved</span>}
          </td>
        </tr>
      </tfoot>
    </table>
  );
}

/** Changing a quantity sends the order back to PENDING while the difference is reserved. */
function QuantityEditor({ order, item }: { order: Order; item: OrderItem }) {
  const [quantity, setQuantity] = useState(item.quantity);
  const [update, { loading, error }] = useMutation(UPDATE_ORDER_ITEM);
  const save = (next: number) =>
    update({ variables: { orderId: order.id, productId: item.product.id, quantity: next } }).catch(() => undefined);
  return (
    <div className="quantity-editor">
      <input
        type="number"
        className="quantity"
        min={1}
        aria-label={`Quantity of ${item.productName ?? item.product.name}`}
        value={quantity}
        onChange={(event) => setQuantity(Math.max(1, Math.floor(Number(event.target.value) || 1)))}
      />
      {quantity !== item.quantity && (
        <button type="button" className="button button-small" disabled={loading} onClick={() => void save(quantity)}>
          {loading ? 'Saving…' : 'Update'}
        </button>
      )}
      {order.items.length > 1 && (
        <button type="button" className="button button-link" disabled={loading} onClick={() => void save(0)}>
          Remove
        </button>
      )}
      {error && <ErrorNotice error={error} />}
    </div>
  );
}

function PaymentForm({ order, total }: { order: Order; total: Money }) {
  const [card, setCard] = useState('');
  const [pay, { loading, error }] = useMutation(PAY_ORDER);
  const retrying = order.payment?.status === 'FAILED';
  // One key per attempt: a double click or a retried request pays once, and the attempt
  // after a failed payment is a new payment.
  const idempotencyKey = `pay:${order.id}:${order.payment?.id ?? 'first'}`;
  const digits = card.replace(/[\s-]/g, '');

  return (
    <form
      className="pay-form"
      aria-label="Payment"
      onSubmit={(event) => {
        event.preventDefault();
        pay({ variables: { orderId: order.id, idempotencyKey, card: digits } }).catch(() => undefined);
      }}
    >
      <h2>{retrying ? 'Try another card' : 'Pay'}</h2>
      <label className="field">
        Card number
        <input
          inputMode="numeric"
          autoComplete="cc-number"
          placeholder="4242 4242 4242 4242"
          value={card}
          onChange={(event) => setCard(event.target.value)}
          required
        />
      </label>
      <fieldset className="test-cards">
        <legend>Test cards (no real money moves)</legend>
        <ul>
          {TEST_CARDS.map((test) => (
            <li key={test.number}>
              <button type="button" className="button button-link mono" onClick={() => setCard(test.number)}>
                {groupDigits(test.number)}
              </button>{' '}
              <span className="muted">{test.outcome}</span>
            </li>
          ))}
        </ul>
      </fieldset>
      {error && <ErrorNotice error={error} />}
      <button type="submit" className="button button-large" disabled={loading || digits.length === 0}>
        {loading ? 'Sending…' : `Pay ${formatMoney(total)}`}
      </button>
    </form>
  );
}

function PaymentPanel({ order }: { order: Order }) {
  const payment = order.payment!;
  return (
    <div className="payment" data-testid="payment">
      <h2>
        Payment <PaymentStatusBadge status={payment.status} />
      </h2>
      {payment.status === 'PROCESSING' && <Loading label={`Charging ${formatMoney(payment.amount)}…`} />}
      {payment.status === 'SUCCEEDED' && <p>{formatMoney(payment.amount)} charged.</p>}
      {payment.status === 'FAILED' && (
        <Notice kind="error">
          The payment failed: <span data-testid="failure-reason">{describeFailure(payment.failureReason)}</span>.
          {order.status === 'AWAITING_PAYMENT' && ' Your items stay reserved: try another card.'}
        </Notice>
      )}
      {payment.status === 'REFUNDED' && <Notice kind="success">{formatMoney(payment.amount)} refunded to your card.</Notice>}
      {order.status === 'CANCELLED' && payment.status === 'SUCCEEDED' && <Loading label="Refunding your payment…" />}
    </div>
  );
}

function CancelOrder({ order }: { order: Order }) {
  const [confirming, setConfirming] = useState(false);
  const [cancel, { loading, error }] = useMutation(CANCEL_ORDER);
  const cancellable = ['PENDING', 'AWAITING_PAYMENT', 'PAID'].includes(order.status);
  if (!cancellable) return null;
  return (
    <div className="cancel">
      {error && <ErrorNotice error={error} />}
      {confirming ? (
        <div className="confirm" role="group" aria-label="Confirm cancellation">
          <span>
            Cancel this order?{order.status === 'PAID' ? ' Your payment will be refunded.' : ' Your items will be released.'}
          </span>
          <button
            type="button"
            className="button button-danger"
            disabled={loading}
            onClick={() => {
              cancel({ variables: { id: order.id } })
                .catch(() => undefined)
                .finally(() => setConfirming(false));
            }}
          >
            {loading ? 'Cancelling…' : 'Yes, cancel the order'}
          </button>
          <button type="button" className="button button-secondary" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <button type="button" className="button button-secondary" onClick={() => setConfirming(true)}>
          Cancel order
        </button>
      )}
    </div>
  );
}

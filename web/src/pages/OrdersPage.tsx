import { NetworkStatus } from '@apollo/client';
import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link } from 'react-router';
import { ErrorNotice, Loading, Notice } from '../components/feedback';
import { describeFailure, OrderStatusBadge, PaymentStatusBadge } from '../components/status';
import { MY_ORDERS, type Order } from '../graph';
import { formatMoney } from '../money';
import { useSession } from '../session';

const PAGE_SIZE = 10;

export function OrdersPage() {
  const { viewer, loading: sessionLoading } = useSession();
  const { data, error, networkStatus, fetchMore, refetch } = useQuery(MY_ORDERS, {
    variables: { first: PAGE_SIZE },
    skip: !viewer,
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });
  const [moreError, setMoreError] = useState<unknown>();

  if (sessionLoading) return <Loading label="Checking your login…" />;
  if (!viewer) {
    return (
      <Notice kind="info">
        <Link to="/login?next=/orders">Log in</Link> to see your orders.
      </Notice>
    );
  }
  const orders = data?.orders;
  const admin = viewer.role === 'ADMIN';
  return (
    <section className="panel">
      <div className="page-head">
        <h1>{admin ? 'All orders' : 'My orders'}</h1>
        {orders && <span className="muted">{orders.totalCount} in all</span>}
      </div>
      {error && <ErrorNotice error={error} retry={() => void refetch()} />}
      {!orders && !error && <Loading label="Loading orders…" />}
      {orders && orders.edges.length === 0 && (
        <p className="empty">
          No orders yet. <Link to="/">Find something in the shop.</Link>
        </p>
      )}
      {orders && orders.edges.length > 0 && (
        <>
          <table className="table orders-table">
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Placed</th>
                <th scope="col">Items</th>
                <th scope="col">Status</th>
                <th scope="col" className="numeric">
                  Total
                </th>
                <th scope="col">Payment</th>
              </tr>
            </thead>
            <tbody>
              {orders.edges.map(({ node }) => (
                <OrderRow key={node.id} order={node} />
              ))}
            </tbody>
          </table>
          {orders.pageInfo.hasNextPage && (
            <div className="more">
              <button
                type="button"
                className="button button-secondary"
                disabled={networkStatus === NetworkStatus.fetchMore}
                onClick={() => {
                  setMoreError(undefined);
                  fetchMore({ variables: { after: orders.pageInfo.endCursor } }).catch(setMoreError);
                }}
              >
                {networkStatus === NetworkStatus.fetchMore ? 'Loading…' : 'Load more'}
              </button>
            </div>
          )}
          {moreError !== undefined && <ErrorNotice error={moreError} />}
        </>
      )}
    </section>
  );
}

function OrderRow({ order }: { order: Order }) {
  const items = order.items.map((item) => `${item.quantity} × ${item.productName ?? item.product.name}`).join(', ');
  return (
    <tr>
      <td>
        <Link to={`/orders/${order.id}`} className="mono">
          {order.id.slice(0, 8)}
        </Link>
      </td>
      <td>{new Date(order.createdAt).toLocaleDateString()}</td>
      <td className="items-cell">{items}</td>
      <td>
        <OrderStatusBadge status={order.status} />
        {order.statusReason && <div className="muted small">{order.statusReason}</div>}
      </td>
      <td className="numeric">{order.total ? formatMoney(order.total) : <span className="muted">—</span>}</td>
      <td>
        {order.payment ? (
          <>
            <PaymentStatusBadge status={order.payment.status} />
            {order.payment.status === 'FAILED' && (
              <div className="muted small">{describeFailure(order.payment.failureReason)}</div>
            )}
          </>
        ) : (
          <span className="muted">none</span>
        )}
      </td>
    </tr>
  );
}

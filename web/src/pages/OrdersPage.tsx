import { NetworkStatus } from '@apollo/client';
import { useQuery } from '@apollo/client/react';
import { Link } from 'react-router';
import { ErrorNotice, Loading, Notice } from '../components/feedback';
import { LoadMore } from '../components/LoadMore';
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
          <LoadMore pageInfo={orders.pageInfo} loading={networkStatus === NetworkStatus.fetchMore} fetchMore={fetchMore} />
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

import type { Money, OrderStatus, PaymentStatus } from '../graph';
import { formatMoney } from '../money';

const ORDER_LABELS: Record<OrderStatus, string> = {
  PENDING: 'Reserving',
  AWAITING_PAYMENT: 'Awaiting payment',
  PAID: 'Paid',
  CANCELLED: 'Cancelled',
  REJECTED: 'Rejected',
  EXPIRED: 'Expired',
};

const PAYMENT_LABELS: Record<PaymentStatus, string> = {
  PROCESSING: 'Processing',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
  REFUNDED: 'Refunded',
};

const TONE: Record<OrderStatus | PaymentStatus, 'busy' | 'good' | 'bad' | 'neutral' | 'waiting'> = {
  PENDING: 'busy',
  AWAITING_PAYMENT: 'waiting',
  PAID: 'good',
  CANCELLED: 'neutral',
  REJECTED: 'bad',
  EXPIRED: 'neutral',
  PROCESSING: 'busy',
  SUCCEEDED: 'good',
  FAILED: 'bad',
  REFUNDED: 'neutral',
};

/** The status name is in the text (and in data-status for tests): color is never the only signal. */
export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span className={`badge badge-${TONE[status]}`} data-status={status}>
      {ORDER_LABELS[status]}
    </span>
  );
}

export function PaymentStatusBadge({ status }: { status: PaymentStatus }) {
  return (
    <span className={`badge badge-${TONE[status]}`} data-status={status}>
      {PAYMENT_LABELS[status]}
    </span>
  );
}

// The payment provider's reason codes, in words.
const FAILURE_REASONS: Record<string, string> = {
  card_declined: 'the card was declined',
  insufficient_funds: 'the card has insufficient funds',
  processing_error: 'the card could not be processed',
};

/** "the card was declined (card_declined)": the words, and the code a support person asks for. */
export function describeFailure(reason: string | null): string {
  if (!reason) return 'the payment did not go through';
  const words = FAILURE_REASONS[reason];
  return words ? `${words} (${reason})` : reason;
}

export function Price({ money, className }: { money: Money; className?: string }) {
  return <span className={className ?? 'price'}>{formatMoney(money)}</span>;
}

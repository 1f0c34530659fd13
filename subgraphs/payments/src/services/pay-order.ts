import { and, eq, inArray } from 'drizzle-orm';
import {
  badUserInput,
  canSeeUserData,
  conflict,
  isUniqueViolation,
  notFound,
  parseInput,
  requireViewer,
  type Db,
} from '@shopgraph/common';
import { enqueueInTransaction, jobIds } from '@shopgraph/queues';
import { z } from 'zod';
import type { Context } from '../context.js';
import { outbox, payableOrders, payments, type PayableOrder, type Payment } from '../db/schema.js';

export interface PayOrderInput {
  orderId: string;
  idempotencyKey: string;
  /** The card number as typed. A secret: it goes to the provider's tokenizer and nowhere else. */
  card: string;
}

// Messages name the rule, never the value: a card number must not reach an error or a log.
const payOrderSchema = z.object({
  orderId: z.uuid({ message: 'must be a valid id' }).transform((id) => id.toLowerCase()),
  idempotencyKey: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  card: z
    .string()
    .max(64, 'must be a card number')
    .transform((card) => card.replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^\d{12,19}$/, 'must be 12 to 19 digits (spaces and dashes allowed)')),
});

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** What tells a replay of a key from its reuse: the card itself is not kept, its last four digits are. */
interface Attempt {
  orderId: string;
  /** The order's owner: keys are scoped to them, also when an ADMIN pays. */
  userId: string;
  idempotencyKey: string;
  cardLast4: string;
}

async function paymentByKey(db: Db | Tx, attempt: Attempt): Promise<Payment | undefined> {
  const [payment] = await db
    .select()
    .from(payments)
    .where(and(eq(payments.userId, attempt.userId), eq(payments.idempotencyKey, attempt.idempotencyKey)));
  return payment;
}

/** The attempt a key already made, when it was made for the same order and card; CONFLICT otherwise. */
function replayOf(payment: Payment, attempt: Attempt): Payment {
  if (payment.orderId !== attempt.orderId || payment.cardLast4 !== attempt.cardLast4) {
    throw conflict('This idempotencyKey was already used to pay with other details.', { field: 'idempotencyKey' });
  }
  return payment;
}

function assertAwaitingPayment(payable: PayableOrder): void {
  if (payable.status !== 'AWAITING_PAYMENT') {
    throw conflict(`Order ${payable.orderId} is not awaiting payment.`, { orderId: payable.orderId });
  }
}

/**
 * Starts paying an order (docs/checkout.md, "Payments"): records a PROCESSING payment and, in the
 * same transaction, the `charge-payment` job; the workers charge it. The card is exchanged for
 * a provider token first and only the token and its last four digits are kept. The same user's
 * key returns the same payment, even for requests racing each other.
 */
export async function payOrder(ctx: Context, rawInput: PayOrderInput): Promise<Payment> {
  const viewer = requireViewer(ctx.viewer);
  const input = parseInput(payOrderSchema, rawInput);
  const [payable] = await ctx.db.select().from(payableOrders).where(eq(payableOrders.orderId, input.orderId));
  // Payments only knows orders that reached AWAITING_PAYMENT; anything else is missing to it.
  if (!payable || !canSeeUserData(viewer, payable.userId)) throw notFound('Order', rawInput.orderId);
  const attempt: Attempt = {
    orderId: payable.orderId,
    userId: payable.userId,
    idempotencyKey: input.idempotencyKey,
    cardLast4: input.card.slice(-4),
  };

  // A replay is answered before the card travels anywhere again.
  const earlier = await paymentByKey(ctx.db, attempt);
  if (earlier) return replayOf(earlier, attempt);
  assertAwaitingPayment(payable);

  const tokenized = await ctx.provider.tokenize(input.card);
  if (tokenized.status === 'invalid') {
    throw badUserInput('The card number is not a valid card number.', { field: 'card', reason: tokenized.reason });
  }

  try {
    return await ctx.db.transaction(async (tx) => {
      // The payable order's row lock serializes every payOrder of this order.
      const [locked] = await tx
        .select()
        .from(payableOrders)
        .where(eq(payableOrders.orderId, attempt.orderId))
        .for('update');
      // A request with the same key may have committed while this one was tokenizing.
      const raced = await paymentByKey(tx, attempt);
      if (raced) return replayOf(raced, attempt);
      assertAwaitingPayment(locked!);
      // A SUCCEEDED payment stands until refunded, even while the order still awaits payment here
      // (the workers mark it PAID a moment later): a second charge would take the money twice.
      const [open] = await tx
        .select({ id: payments.id, status: payments.status })
        .from(payments)
        .where(and(eq(payments.orderId, attempt.orderId), inArray(payments.status, ['PROCESSING', 'SUCCEEDED'])))
        .limit(1);
      if (open) {
        const message =
          open.status === 'PROCESSING'
            ? `Order ${attempt.orderId} already has a payment in progress.`
            : `Order ${attempt.orderId} has already been paid.`;
        throw conflict(message, { orderId: attempt.orderId, paymentId: open.id });
      }
      const [payment] = await tx
        .insert(payments)
        .values({
          orderId: attempt.orderId,
          userId: attempt.userId,
          amount: locked!.amount,
          currency: locked!.currency,
          orderVersion: locked!.version,
          status: 'PROCESSING',
          cardLast4: tokenized.last4,
          providerToken: tokenized.token,
          idempotencyKey: attempt.idempotencyKey,
        })
        .returning();
      await enqueueInTransaction(tx, outbox, {
        queue: 'payments',
        name: 'charge-payment',
        payload: { paymentId: payment!.id },
        jobId: jobIds.chargePayment(payment!.id),
      });
      return payment!;
    });
  } catch (error) {
    // The same key on another order (so under another row lock) committed first.
    if (!isUniqueViolation(error, 'payments_user_idempotency_key')) throw error;
    const winner = await paymentByKey(ctx.db, attempt);
    if (!winner) throw error;
    return replayOf(winner, attempt);
  }
}

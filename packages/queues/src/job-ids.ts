/**
 * Deterministic job ids (docs/checkout.md): BullMQ ignores an `add` whose id exists, so the
 * relay re-sending a row, or a retried processor re-adding its follow-up, creates no second job.
 * BullMQ refuses ids that contain ":" or look like integers; these never do.
 */
export const jobIds = {
  reserveStock: (orderId: string, version: number) => `reserve-${orderId}-${version}`,
  releaseStock: (orderId: string) => `release-${orderId}`,
  chargePayment: (paymentId: string) => `charge-${paymentId}`,
  refundPayment: (paymentId: string) => `refund-${paymentId}`,
  /** A paid order is cancelled (and refunded) once; orders knows the order, not the payment. */
  refundOrder: (orderId: string) => `refund-order-${orderId}`,
  expireOrder: (orderId: string, version: number) => `expire-${orderId}-${version}`,
  deadLetter: (queue: string, jobId: string) => `${queue}-${jobId}`,
};

/** Whether BullMQ accepts `jobId` as a custom id. */
export const isValidJobId = (jobId: string) => jobId.length > 0 && jobId.length <= 200 && !jobId.includes(':') && !/^\d+$/.test(jobId);

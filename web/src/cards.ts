/** The payment-provider simulator's test cards (schema/contract.graphql, PaymentMethodInput). */
export const TEST_CARDS = [
  { number: '4242424242424242', outcome: 'Succeeds' },
  { number: '4000000000000002', outcome: 'Declined (card_declined)' },
  { number: '4000000000009995', outcome: 'Fails: insufficient funds' },
  { number: '4000000000000119', outcome: 'Fails twice with a processing error, then succeeds' },
] as const;

/** "4242 4242 4242 4242" */
export const groupDigits = (card: string) => card.replace(/(\d{4})(?=\d)/g, '$1 ');

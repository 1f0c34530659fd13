/** What a charge on a card does (the contract's test cards, `PaymentMethodInput`). */
export type CardBehaviour = 'succeeds' | 'card_declined' | 'insufficient_funds' | 'processing_error_twice';

const testCards: Record<string, CardBehaviour> = {
  '4242424242424242': 'succeeds',
  '4000000000000002': 'card_declined',
  '4000000000009995': 'insufficient_funds',
  '4000000000000119': 'processing_error_twice',
};

export interface ParsedCard {
  last4: string;
  brand: string;
  behaviour: CardBehaviour;
}

/** The Luhn checksum every card number carries in its last digit. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

function brandOf(digits: string): string {
  if (digits.startsWith('4')) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^(6011|65)/.test(digits)) return 'discover';
  return 'unknown';
}

/**
 * Reads a card number as a person types it (spaces and dashes allowed): 12–19 digits passing
 * Luhn, else undefined. Cards other than the test cards succeed.
 */
export function parseCard(input: string): ParsedCard | undefined {
  const digits = input.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits) || !passesLuhn(digits)) return undefined;
  return { last4: digits.slice(-4), brand: brandOf(digits), behaviour: testCards[digits] ?? 'succeeds' };
}

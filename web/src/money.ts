import type { Money } from './graph';

/** Digits after the decimal point in `currency`'s minor unit (2 for EUR, 0 for JPY). */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** "€14.90" from { amount: 1490, currency: "EUR" }, in the reader's locale. */
export function formatMoney({ amount, currency }: Money, locale?: string): string {
  const digits = minorDigits(currency);
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount / 10 ** digits);
}

/**
 * Minor units from what a person types ("14.9" → 1490), or null when it is not a price.
 * Parsed from the digits, never through floating point, so 0.29 stays 29.
 */
export function parseMoneyInput(text: string, currency: string): number | null {
  const match = /^\s*(\d+)(?:[.,](\d*))?\s*$/.exec(text);
  if (!match) return null;
  const digits = minorDigits(currency);
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return null;
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/** The inverse of `parseMoneyInput`, for prefilling a form: 1490 → "14.90". */
export function toMoneyInput({ amount, currency }: Money): string {
  const digits = minorDigits(currency);
  if (digits === 0) return String(amount);
  const text = String(amount).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** The sum of `lines` when they share one currency, else null. */
export function sumMoney(lines: { price: Money; quantity: number }[]): Money | null {
  const currency = lines[0]?.price.currency;
  if (!currency || lines.some((line) => line.price.currency !== currency)) return null;
  return { currency, amount: lines.reduce((sum, line) => sum + line.price.amount * line.quantity, 0) };
}

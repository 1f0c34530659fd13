import { z } from 'zod';

const isoCurrencies = new Set(Intl.supportedValuesOf('currency'));

/** An ISO 4217 code this runtime knows; input is upper-cased first. */
export const currencySchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine((code) => isoCurrencies.has(code), { message: 'must be an ISO 4217 currency code' });

/** Money in minor units: never floats, never negative for prices. Capped to stay a safe Int32. */
export const moneyInputSchema = z.object({
  amount: z.number().int().min(0).max(2_000_000_000),
  currency: currencySchema,
});
export type Money = { amount: number; currency: string };

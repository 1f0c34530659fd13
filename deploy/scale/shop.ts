import { randomBytes } from 'node:crypto';
import type { Customer, GatewayBalancer } from './load.js';
import { admin, BROWSERS, SCARCE_STOCK, SHOPPERS } from './settings.js';

/** The shop the traffic runs in. */
export interface Shop {
  /** The product many want, with less stock than they order. */
  scarce: string;
  /** Products with stock to spare. */
  plenty: string[];
  /** Every product's stock before the traffic, by id. */
  initialOnHand: Map<string, number>;
  /** The shoppers first, then the browsers. */
  customers: Customer[];
  /** What a shopper puts in an order: some of a plentiful product, half the time some of the scarce one too. */
  pickItems: () => { productId: string; quantity: number }[];
}

/** Stocks the shop through the gateways, as its administrator: a scarce product many want, plenty of others, customers. */
export async function openShop(balancer: GatewayBalancer): Promise<Shop> {
  const adminToken = (
    await balancer.request<{ login: { token: string } }>('Login', `mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`, { e: admin.email, p: admin.password })
  ).login.token;
  const createProduct = async (name: string, stock: number) =>
    (
      await balancer.request<{ createProduct: { id: string } }>(
        'CreateProduct',
        `mutation CreateProduct($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        { input: { sku: `SCALE-${randomBytes(4).toString('hex')}`, name, price: { amount: 1500, currency: 'EUR' }, stock } },
        adminToken,
      )
    ).createProduct.id;
  const scarce = await createProduct('Scale limited edition', SCARCE_STOCK);
  const plenty = await Promise.all([1, 2, 3, 4].map((n) => createProduct(`Scale staple ${n}`, 100_000)));
  const initialOnHand = new Map<string, number>([[scarce, SCARCE_STOCK], ...plenty.map((id) => [id, 100_000] as [string, number])]);
  const customers: Customer[] = await Promise.all(
    Array.from({ length: SHOPPERS + BROWSERS }, async (_, n) => {
      const email = `scale-${n}-${randomBytes(3).toString('hex')}@example.com`;
      const answer = await balancer.request<{ register: { token: string } }>(
        'Register',
        `mutation Register($input: RegisterInput!) { register(input: $input) { token } }`,
        { input: { email, password: 'scale-customer-password', name: `Scale customer ${n}` } },
      );
      return { email, token: answer.register.token };
    }),
  );
  const pickItems = () => {
    const items = [{ productId: plenty[Math.floor(Math.random() * plenty.length)]!, quantity: 1 + Math.floor(Math.random() * 3) }];
    if (Math.random() < 0.5) items.push({ productId: scarce, quantity: 1 + Math.floor(Math.random() * 2) });
    return items;
  };
  return { scarce, plenty, initialOnHand, customers, pickItems };
}

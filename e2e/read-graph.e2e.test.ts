import { describe, expect, it } from 'vitest';
import { demoOrders, demoPayments, demoProducts, demoUsers } from '../scripts/demo-data.js';
import { codeOf, dataOf, gatewayUrl, gql, login, loginAdmin, registerCustomer } from './helpers.js';

const [alice, bob] = demoUsers as [(typeof demoUsers)[0], (typeof demoUsers)[0]];
const ORDER_FIELDS = `id status statusReason total { amount currency } createdAt updatedAt
  user { id name email }
  items { quantity productName unitPrice { amount currency } product { id sku name } }
  payment { id status failureReason amount { amount currency } order { id } }`;

describe('the catalog through the gateway', () => {
  it('lists the demo catalog newest first with a total count and cursors', async () => {
    const first = dataOf(await gql(`{ products(first: 10) { totalCount pageInfo { hasNextPage endCursor } edges { node { sku price { amount currency } stock } } } }`));
    expect(first.products.totalCount).toBe(demoProducts.length);
    expect(first.products.edges).toHaveLength(10);
    expect(first.products.edges[0].node.sku).toBe(demoProducts.at(-1)!.sku);
    const next = dataOf(
      await gql(`query($after: String) { products(first: 100, after: $after) { edges { node { sku } } pageInfo { hasNextPage } } }`, {
        after: first.products.pageInfo.endCursor,
      }),
    );
    expect(next.products.edges).toHaveLength(demoProducts.length - 10);
    expect(next.products.pageInfo.hasNextPage).toBe(false);
  });

  it('searches by words of the description and by sku', async () => {
    const coffee = dataOf(await gql(`{ products(search: "coffee") { edges { node { sku } } } }`));
    expect(coffee.products.edges.map((e: any) => e.node.sku).sort()).toEqual(['BEANS-ETH', 'GRINDER-HND']);
    const bySku = dataOf(await gql(`{ products(search: "KETTLE-GN") { edges { node { name } } } }`));
    expect(bySku.products.edges.map((e: any) => e.node.name)).toEqual(['Gooseneck kettle']);
  });

  it('shows stock as on hand minus reserved', async () => {
    const lamp = demoProducts.find((p) => p.sku === 'LAMP-DSK')!;
    const result = dataOf(await gql(`query($id: ID!) { product(id: $id) { stock } }`, { id: lamp.id }));
    // One lamp is held by Alice's order awaiting payment.
    expect(result.product.stock).toBe(lamp.onHand - 1);
  });
});

describe('accounts', () => {
  it('registers, logs in and answers me', async () => {
    const customer = await registerCustomer();
    const me = dataOf(await gql(`{ me { id email role orders { totalCount } } }`, {}, customer.token));
    expect(me.me).toEqual({ id: customer.userId, email: customer.email, role: 'CUSTOMER', orders: { totalCount: 0 } });
    expect(dataOf(await gql(`{ me { id } }`)).me).toBeNull();
  });

  it('refuses a wrong password, a bad email and a forged token', async () => {
    const wrong = await gql(`mutation { login(email: "${alice.email}", password: "not-her-password") { token } }`);
    expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
    const bad = await gql(`mutation { register(input: { email: "not-an-email", password: "long enough", name: "X" }) { token } }`);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    const forged = await gql(`{ me { id } }`, {}, 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl');
    expect(forged.status).toBe(401);
    expect(codeOf(forged)).toBe('UNAUTHENTICATED');
  });
});

describe('orders and payments, joined across subgraphs', () => {
  it("shows a customer their own orders with items, products, user and payment", async () => {
    const { token, userId } = await login(alice.email, alice.password);
    const result = dataOf(await gql(`{ orders(first: 50) { totalCount edges { node { ${ORDER_FIELDS} } } } }`, {}, token));
    const own = demoOrders.filter((o) => o.userId === alice.id);
    expect(result.orders.totalCount).toBe(own.length);
    const nodes = result.orders.edges.map((e: any) => e.node);
    expect(new Set(nodes.map((n: any) => n.user.id))).toEqual(new Set([userId]));
    expect(nodes.map((n: any) => n.status).sort()).toEqual(own.map((o) => o.status).sort());
    const paid = nodes.find((n: any) => n.status === 'PAID');
    expect(paid.payment).toMatchObject({ status: 'SUCCEEDED', order: { id: paid.id } });
    expect(paid.total.amount).toBe(paid.items.reduce((sum: number, i: any) => sum + i.quantity * i.unitPrice.amount, 0));
    expect(paid.items[0].product.sku).toBeTruthy();
    const pending = nodes.find((n: any) => n.status === 'PENDING');
    expect(pending.total).toBeNull();
    expect(nodes.find((n: any) => n.status === 'REJECTED').statusReason).toMatch(/stock/i);
  });

  it("hides another customer's order, payment and user as if they did not exist", async () => {
    const { token } = await login(alice.email, alice.password);
    const bobsOrder = demoOrders.find((o) => o.userId === bob.id)!;
    const bobsPayment = demoPayments.find((p) => p.userId === bob.id)!;
    for (const [query, id] of [
      [`query($id: ID!) { order(id: $id) { id } }`, bobsOrder.id],
      [`query($id: ID!) { payment(id: $id) { id } }`, bobsPayment.id],
      [`query($id: ID!) { user(id: $id) { id } }`, bob.id],
    ] as const) {
      const response = await gql(query, { id }, token);
      expect(codeOf(response)).toBe('NOT_FOUND');
      expect(JSON.stringify(response)).not.toContain(bob.email);
    }
  });

  it('lets an admin see every order and every email', async () => {
    const { token } = await loginAdmin();
    const result = dataOf(await gql(`{ orders(first: 100) { totalCount edges { node { user { email } } } } }`, {}, token));
    expect(result.orders.totalCount).toBeGreaterThanOrEqual(demoOrders.length);
    expect(result.orders.edges.map((e: any) => e.node.user.email)).toContain(bob.email);
    const bobs = dataOf(await gql(`query($id: ID!) { user(id: $id) { email orders { totalCount } } }`, { id: bob.id }, token));
    expect(bobs.user.orders.totalCount).toBe(demoOrders.filter((o) => o.userId === bob.id).length);
  });

  it('needs a signed-in viewer for orders', async () => {
    expect(codeOf(await gql(`{ orders { totalCount } }`))).toBe('UNAUTHENTICATED');
  });
});

describe('catalog writes through the gateway', () => {
  it('lets the admin create, update, restock and delete; refuses customers', async () => {
    const admin = await loginAdmin();
    const customer = await registerCustomer();
    const input = { sku: `E2E-${Date.now()}`, name: 'Test kite', price: { amount: 2500, currency: 'EUR' }, stock: 3 };
    const create = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id stock } }`;
    expect(codeOf(await gql(create, { input }, customer.token))).toBe('FORBIDDEN');
    expect(codeOf(await gql(create, { input }))).toBe('UNAUTHENTICATED');
    const created = dataOf(await gql(create, { input }, admin.token)).createProduct;
    expect(codeOf(await gql(create, { input }, admin.token))).toBe('CONFLICT');
    const restocked = dataOf(await gql(`mutation($id: ID!) { restockProduct(id: $id, quantity: 4) { stock } }`, { id: created.id }, admin.token));
    expect(restocked.restockProduct.stock).toBe(7);
    const updated = dataOf(
      await gql(`mutation($id: ID!) { updateProduct(id: $id, input: { name: "Stunt kite" }) { name } }`, { id: created.id }, admin.token),
    );
    expect(updated.updateProduct.name).toBe('Stunt kite');
    expect(dataOf(await gql(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id: created.id }, admin.token)).deleteProduct).toBe(true);
    expect(codeOf(await gql(`query($id: ID!) { product(id: $id) { id } }`, { id: created.id }))).toBe('NOT_FOUND');
  });

  it('answers malformed input with BAD_USER_INPUT and no internals', async () => {
    const admin = await loginAdmin();
    for (const query of [
      `{ product(id: "not-an-id") { id } }`,
      `{ products(first: -1) { totalCount } }`,
      `mutation { restockProduct(id: "${demoProducts[0]!.id}", quantity: -3) { stock } }`,
      `mutation { createProduct(input: { sku: "X-1", name: "${'n'.repeat(500)}", price: { amount: 1, currency: "EUR" }, stock: 1 }) { id } }`,
    ]) {
      const response = await gql(query, {}, admin.token);
      expect(codeOf(response), query).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(response)).not.toMatch(/stacktrace|\bat \w+ \(|select |insert |http:\/\/127/i);
    }
  });
});

describe('tools', () => {
  it('serves Apollo Sandbox to a browser', async () => {
    const response = await fetch(gatewayUrl(), { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/sandbox/i);
  });
});

import {
  createTestDatabase,
  readCounter,
  subgraphRequest,
  TEST_JWT_SECRET,
  testEnv,
  type TestDatabase,
} from '@shopgraph/testing';
import type { RunningServer } from '@shopgraph/common/subgraph';
import { createDb, createLogger, verifyToken, type Db, type Viewer } from '@shopgraph/common';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from './db/schema.js';
import { demoUsers } from './demo-data.js';
import { loadConfig, type UsersConfig } from './env.js';
import { seedUsers } from './seed.js';
import { createUsersServer } from './server.js';
import { ensureAdmin } from './services/ensure-admin.js';

const USER_FIELDS = 'id email name role createdAt';
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { token user { ${USER_FIELDS} } } }`;
const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token user { ${USER_FIELDS} } } }`;
const USER = `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`;
const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id name role } } }`;
const ENTITY_EMAILS = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id email } } }`;

let database: TestDatabase;
let config: UsersConfig;
let server: RunningServer;
let url: string;
let db: Db;
const gql = (query: string, variables: Record<string, unknown> = {}, viewer: Viewer | null = null) =>
  subgraphRequest({ url, name: 'users' }, query, variables, viewer);

let registered = 0;
/** Registers a fresh customer and returns the payload and the viewer the gateway would send for it. */
const registerCustomer = async (name = 'Test Customer') => {
  const email = `customer-${++registered}@example.com`;
  const result = await gql(REGISTER, { input: { email, password: 'secret-password', name } });
  expect(result.errors).toBeUndefined();
  const { token, user } = result.data!.register;
  return { token, user, viewer: { id: user.id, role: user.role } as Viewer, email };
};

const usersWithEmail = async (email: string) =>
  (await db.select({ total: count() }).from(users).where(eq(users.email, email)))[0]!.total;
const allUsers = async () => (await db.select({ total: count() }).from(users))[0]!.total;

beforeAll(async () => {
  database = await createTestDatabase();
  config = loadConfig(testEnv(database.url));
  server = await createUsersServer(config);
  url = await server.listen(0, '127.0.0.1');
  // Looks at the table the way the subgraph does: as its role, in its schema.
  db = createDb({ url: database.url, subgraph: 'users', logger: createLogger('test', 'silent'), max: 2 });
});

afterAll(async () => {
  await db?.$client.end();
  await server?.close();
  await database?.drop();
});

describe('register, login and me', () => {
  it('registers a customer, signs them in and shows them to themselves', async () => {
    const registeredResult = await gql(REGISTER, {
      input: { email: '  Ada.Lovelace@Example.COM ', password: 'analytical-engine', name: '  Ada Lovelace ' },
    });
    expect(registeredResult.errors).toBeUndefined();
    const { token, user } = registeredResult.data!.register;
    expect(user).toMatchObject({ email: 'ada.lovelace@example.com', name: 'Ada Lovelace', role: 'CUSTOMER' });
    expect(new Date(user.createdAt).toISOString()).toBe(user.createdAt);
    expect((await verifyToken(TEST_JWT_SECRET, token))?.viewer).toEqual({ id: user.id, role: 'CUSTOMER' });

    // Any case and surrounding spaces name the same account.
    const loggedIn = await gql(LOGIN, { email: 'ADA.lovelace@example.com ', password: 'analytical-engine' });
    expect(loggedIn.errors).toBeUndefined();
    expect(loggedIn.data!.login.user).toEqual(user);
    expect((await verifyToken(TEST_JWT_SECRET, loggedIn.data!.login.token))?.viewer).toEqual({ id: user.id, role: 'CUSTOMER' });

    const me = await gql(`{ me { ${USER_FIELDS} } }`, {}, { id: user.id, role: 'CUSTOMER' });
    expect(me.data!.me).toEqual(user);
  });

  it('answers me with null for an anonymous request', async () => {
    const me = await gql('{ me { id } }');
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toBeNull();
  });

  it('answers a taken email with CONFLICT, whatever its case, and writes nothing', async () => {
    const { email } = await registerCustomer();
    const again = await gql(REGISTER, { input: { email: email.toUpperCase(), password: 'another-password', name: 'Impostor' } });
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(again.data).toBeNull();
    expect(await usersWithEmail(email)).toBe(1);
  });

  it('lets exactly one of ten parallel registrations of one email succeed', async () => {
    const email = 'race@example.com';
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => gql(REGISTER, { input: { email, password: `password-${i}`, name: `Racer ${i}` } })),
    );
    const codes = results.map((result) => result.errors?.[0]?.extensions?.code ?? 'OK');
    expect(codes.filter((code) => code === 'OK')).toHaveLength(1);
    expect(codes.filter((code) => code === 'CONFLICT')).toHaveLength(9);
    expect(await usersWithEmail(email)).toBe(1);
    // The account holds the winner's password, not a mix.
    const winner = results.findIndex((result) => !result.errors);
    const login = await gql(LOGIN, { email, password: `password-${winner}` });
    expect(login.data!.login.user.name).toBe(`Racer ${winner}`);
  });

  it.each([
    ['a malformed email', { email: 'not-an-email' }],
    ['an empty email', { email: '   ' }],
    ['an oversized email', { email: `${'a'.repeat(250)}@example.com` }],
    ['a short password', { password: 'short' }],
    ['an oversized password', { password: 'p'.repeat(201) }],
    ['an empty name', { name: '   ' }],
    ['an oversized name', { name: 'n'.repeat(101) }],
  ])('answers %s with BAD_USER_INPUT and writes nothing', async (_, override) => {
    const before = await allUsers();
    const input = { email: 'valid@example.com', password: 'valid-password', name: 'Valid Name', ...override };
    const result = await gql(REGISTER, { input });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.extensions?.issues?.[0]?.path).toMatch(/^input\./);
    expect(JSON.stringify(result)).not.toMatch(/stack|insert into|select /i);
    expect(await allUsers()).toBe(before);
  });

  it('answers a wrong password and an unknown email alike, with UNAUTHENTICATED', async () => {
    const { email } = await registerCustomer();
    const wrongPassword = await gql(LOGIN, { email, password: 'not-the-password' });
    const unknownEmail = await gql(LOGIN, { email: 'nobody@example.com', password: 'secret-password' });
    const malformedEmail = await gql(LOGIN, { email: 'nobody', password: 'secret-password' });
    for (const result of [wrongPassword, unknownEmail, malformedEmail]) {
      expect(result.data).toBeNull();
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]).toMatchObject({ message: 'Wrong email or password.', extensions: { code: 'UNAUTHENTICATED' } });
    }
  });

  it('answers an oversized login with BAD_USER_INPUT', async () => {
    const result = await gql(LOGIN, { email: 'someone@example.com', password: 'p'.repeat(201) });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('who sees whom', () => {
  it('shows a user to themselves and to an admin, and to nobody else as if missing', async () => {
    const alice = await registerCustomer('Alice');
    const bob = await registerCustomer('Bob');
    const admin: Viewer = { id: '00000000-0000-4000-8000-000000000001', role: 'ADMIN' };

    const self = await gql(USER, { id: alice.user.id }, alice.viewer);
    expect(self.data!.user).toEqual(alice.user);
    const asAdmin = await gql(USER, { id: alice.user.id }, admin);
    expect(asAdmin.data!.user).toEqual(alice.user);

    const missingId = '5b0d6a4e-4c6f-4d1e-9a43-3f1c2b7d9e10';
    const missing = await gql(USER, { id: missingId }, admin);
    expect(missing.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', typename: 'User', id: missingId });
    for (const viewer of [bob.viewer, null]) {
      const other = await gql(USER, { id: alice.user.id }, viewer);
      expect(other.data!.user).toBeNull();
      expect(other.errors).toHaveLength(1);
      expect(other.errors![0]).toMatchObject({
        message: `User ${alice.user.id} was not found.`,
        extensions: { code: 'NOT_FOUND', typename: 'User', id: alice.user.id },
      });
    }
  });

  it('answers a malformed id with BAD_USER_INPUT', async () => {
    const result = await gql(USER, { id: '42' }, { id: '00000000-0000-4000-8000-000000000001', role: 'ADMIN' });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("refuses another user's email through an entity reference with FORBIDDEN", async () => {
    const alice = await registerCustomer('Alice');
    const bob = await registerCustomer('Bob');
    const reps = [{ __typename: 'User', id: alice.user.id }];

    const public_ = await gql(ENTITIES, { reps }, bob.viewer);
    expect(public_.errors).toBeUndefined();
    expect(public_.data!._entities).toEqual([{ id: alice.user.id, name: 'Alice', role: 'CUSTOMER' }]);

    for (const viewer of [bob.viewer, null]) {
      const email = await gql(ENTITY_EMAILS, { reps }, viewer);
      expect(email.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(email.errors?.[0]?.path).toEqual(['_entities', 0, 'email']);
      expect(JSON.stringify(email)).not.toContain(alice.email);
    }
    for (const viewer of [alice.viewer, { id: bob.user.id, role: 'ADMIN' } as Viewer]) {
      const email = await gql(ENTITY_EMAILS, { reps }, viewer);
      expect(email.errors).toBeUndefined();
      expect(email.data!._entities).toEqual([{ id: alice.user.id, email: alice.email }]);
    }
  });

  it('resolves an entity reference that names nobody, or is malformed, to null', async () => {
    const alice = await registerCustomer('Alice');
    const reps = [
      { __typename: 'User', id: '5b0d6a4e-4c6f-4d1e-9a43-3f1c2b7d9e10' },
      { __typename: 'User', id: 'not-a-uuid' },
      { __typename: 'User', id: alice.user.id.toUpperCase() },
    ];
    const result = await gql(ENTITIES, { reps });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([null, null, { id: alice.user.id, name: 'Alice', role: 'CUSTOMER' }]);
  });

  it('resolves 30 entity references with one SQL statement', async () => {
    const customers = await Promise.all(Array.from({ length: 30 }, (_, i) => registerCustomer(`Batch ${i}`)));
    const reps = customers.map((customer) => ({ __typename: 'User', id: customer.user.id }));
    const metrics = url.replace('/graphql', '/metrics');
    const before = await readCounter(metrics, 'shopgraph_sql_statements_total');
    const result = await gql(ENTITIES, { reps });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((user: { id: string }) => user.id)).toEqual(customers.map((c) => c.user.id));
    expect((await readCounter(metrics, 'shopgraph_sql_statements_total')) - before).toBe(1);
  });
});

describe('the admin account', () => {
  it('exists after start and can log in as ADMIN', async () => {
    const login = await gql(LOGIN, { email: config.admin.email, password: config.admin.password });
    expect(login.errors).toBeUndefined();
    expect(login.data!.login.user).toMatchObject({ email: config.admin.email, role: 'ADMIN' });
    expect((await verifyToken(TEST_JWT_SECRET, login.data!.login.token))?.viewer).toEqual({ id: login.data!.login.user.id, role: 'ADMIN' });
  });

  it('is ensured idempotently, even by several processes at once', async () => {
    await expect(ensureAdmin(db, config.admin)).resolves.toBe('unchanged');
    const credentials = { email: 'ops@example.com', password: 'ops-password' };
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => ensureAdmin(db, credentials)));
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'unchanged')).toHaveLength(4);
    expect(await usersWithEmail('ops@example.com')).toBe(1);
    await expect(ensureAdmin(db, credentials)).resolves.toBe('unchanged');
  });

  it('promotes an existing account and gives it the configured password', async () => {
    const customer = await registerCustomer('Soon Admin');
    const [before] = await db.select().from(users).where(eq(users.id, customer.user.id));

    await expect(ensureAdmin(db, { email: customer.email.toUpperCase(), password: 'the-admin-password' })).resolves.toBe('updated');
    const login = await gql(LOGIN, { email: customer.email, password: 'the-admin-password' });
    expect(login.data!.login.user).toMatchObject({ id: customer.user.id, name: 'Soon Admin', role: 'ADMIN' });
    const oldPassword = await gql(LOGIN, { email: customer.email, password: 'secret-password' });
    expect(oldPassword.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // With the password already right, only the role changes: the stored hash is kept.
    const [promoted] = await db.select().from(users).where(eq(users.id, customer.user.id));
    await db.update(users).set({ role: 'CUSTOMER' }).where(eq(users.id, customer.user.id));
    await expect(ensureAdmin(db, { email: customer.email, password: 'the-admin-password' })).resolves.toBe('updated');
    const [again] = await db.select().from(users).where(eq(users.id, customer.user.id));
    expect(again!.role).toBe('ADMIN');
    expect(again!.passwordHash).toBe(promoted!.passwordHash);
    expect(promoted!.passwordHash).not.toBe(before!.passwordHash);
  });

  it('refuses credentials nobody could log in with', async () => {
    await expect(ensureAdmin(db, { email: 'not-an-email', password: 'long-enough' })).rejects.toThrow(/email/);
    await expect(ensureAdmin(db, { email: 'short@example.com', password: 'short' })).rejects.toThrow(/password/);
    expect(await usersWithEmail('short@example.com')).toBe(0);
  });
});

describe('the demo seed', () => {
  it('inserts the demo customers with their ids, once however often it runs', async () => {
    await seedUsers(config, demoUsers);
    await seedUsers(config, demoUsers);
    const seeded = await db.select().from(users).where(eq(users.role, 'CUSTOMER'));
    for (const demo of demoUsers) {
      expect(seeded.filter((row) => row.email === demo.email)).toEqual([
        expect.objectContaining({ id: demo.id, name: demo.name, role: 'CUSTOMER' }),
      ]);
      const login = await gql(LOGIN, { email: demo.email, password: demo.password });
      expect(login.data!.login.user.id).toBe(demo.id);
    }
  });
});

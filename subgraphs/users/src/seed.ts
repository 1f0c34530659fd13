import { createDb, createLogger, prepareSubgraphDatabase, refuseDemoDataInProduction } from '@shopgraph/common';
import type { DemoUser } from './demo-data.js';
import type { UsersConfig } from './env.js';
import { users } from './db/schema.js';
import { migrationsFolder } from './server.js';
import { hashPassword } from './services/password.js';

export { demoUsers, type DemoUser } from './demo-data.js';

/**
 * Seeds the demo customers with their ids, so orders and payments can refer to them. Accounts
 * that already exist (same id or email) are left alone, so seeding again changes nothing.
 */
export async function seedUsers(config: UsersConfig, demoUsers: DemoUser[]): Promise<void> {
  refuseDemoDataInProduction(config.nodeEnv);
  const logger = createLogger('users-seed', config.logLevel);
  const db = createDb({ url: config.databaseUrl, subgraph: 'users', logger, max: 1 });
  try {
    await prepareSubgraphDatabase(config.databaseUrl, db, 'users', migrationsFolder);
    if (demoUsers.length === 0) return;
    const values = await Promise.all(
      demoUsers.map(async (user) => ({
        id: user.id,
        email: user.email.trim().toLowerCase(),
        name: user.name,
        role: 'CUSTOMER' as const,
        passwordHash: await hashPassword(user.password),
      })),
    );
    const inserted = await db.insert(users).values(values).onConflictDoNothing().returning({ id: users.id });
    logger.info({ users: inserted.length }, 'seeded the demo users');
  } finally {
    await db.$client.end();
  }
}

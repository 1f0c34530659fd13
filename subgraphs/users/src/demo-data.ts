import { DEMO_PASSWORD, stableId } from '@shopgraph/common';

/**
 * The demo shop's customers. Each id derives from `user:<key>` (stableId), so the other
 * subgraphs' demo data refers to a customer by key without importing this file.
 */

export interface DemoUser {
  id: string;
  email: string;
  name: string;
  password: string;
}

const user = (key: string, name: string): DemoUser => ({
  id: stableId(`user:${key}`),
  email: `${key}@shopgraph.local`,
  name,
  password: DEMO_PASSWORD,
});

export const demoUsers: DemoUser[] = [user('alice', 'Alice Martin'), user('bob', 'Bob Tanaka'), user('carol', 'Carol Okafor')];

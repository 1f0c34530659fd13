import { gatewayRequest, readCounter, type GraphQLResponse } from '@shopgraph/testing';
import { inject } from 'vitest';

export const gatewayUrl = () => inject('gatewayUrl');

/** Sends an operation through the gateway, as a client would. */
export const gql = <Data = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, token?: string) =>
  gatewayRequest<Data>(gatewayUrl(), query, variables, token);

/** The data of a response that must have succeeded. */
export function dataOf<Data>(response: GraphQLResponse<Data>): Data {
  if (response.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(response.errors)}`);
  return response.data as Data;
}

/** The `extensions.code` of a response's first error. */
export const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;

export async function login(email: string, password: string): Promise<{ token: string; userId: string }> {
  const result = dataOf(
    await gql(`mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token user { id } } }`, {
      email,
      password,
    }),
  );
  return { token: result.login.token, userId: result.login.user.id };
}

export const loginAdmin = () => login(inject('adminEmail'), inject('adminPassword'));

let customers = 0;
export async function registerCustomer(): Promise<{ token: string; userId: string; email: string }> {
  const email = `customer-${process.pid}-${Date.now()}-${customers++}@example.com`;
  const result = dataOf(
    await gql(`mutation($input: RegisterInput!) { register(input: $input) { token user { id } } }`, {
      input: { email, password: 'correct horse battery', name: 'E2E Customer' },
    }),
  );
  return { token: result.register.token, userId: result.register.user.id, email };
}

/** SQL statements the four subgraphs have sent so far, summed. */
export async function statementsSoFar(): Promise<number> {
  const counts = await Promise.all(inject('subgraphMetricsUrls').map((url) => readCounter(url, 'shopgraph_sql_statements_total')));
  return counts.reduce((sum, n) => sum + n, 0);
}

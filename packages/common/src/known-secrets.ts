/**
 * Secrets and passwords anyone can read in this repository or guess in one try: accepted with a
 * warning in development, refused when NODE_ENV=production (see `parseEnv` in ./env.ts).
 */

/** Signs bearer tokens when JWT_SECRET is unset outside production. */
export const DEV_JWT_SECRET = 'shopgraph-development-jwt-secret-do-not-use-in-production';
/** Signs gateway → subgraph requests when GATEWAY_SECRET is unset outside production. */
export const DEV_GATEWAY_SECRET = 'shopgraph-development-gateway-secret-do-not-use-in-production';
/**
 * The payment provider's secret API key (`Authorization: Bearer …`) when PAYMENT_PROVIDER_KEY is
 * unset outside production: the simulator requires it and payments and the workers send it.
 */
export const DEV_PAYMENT_PROVIDER_KEY = 'sk_test_shopgraph_development_payment_provider_key_do_not_use';
/** The admin's password when ADMIN_PASSWORD is unset outside production. */
export const DEV_ADMIN_PASSWORD = 'admin-password';
/** The password of the demo customers (subgraphs/users/src/demo-data.ts), seeded only outside production. */
export const DEMO_PASSWORD = 'demo-password';

/** The shortest admin password production accepts. */
export const MIN_PRODUCTION_PASSWORD_LENGTH = 12;

/** The development secrets the repository publishes: the defaults and the Kubernetes dev overlay's. */
const PUBLISHED_SECRETS = new Set([
  DEV_JWT_SECRET,
  DEV_GATEWAY_SECRET,
  DEV_PAYMENT_PROVIDER_KEY,
  // deploy/k8s/overlays/dev/kustomization.yaml
  'dev-only-jwt-secret-change-me-0123456789abcdef',
  'dev-only-gateway-secret-change-me-0123456789abcdef',
  'dev-only-payment-provider-key-change-me-0123456789abcdef',
]);

/** Passwords the repository publishes. */
const PUBLISHED_PASSWORDS = new Set([DEV_ADMIN_PASSWORD, DEMO_PASSWORD]);

/**
 * Common passwords at least `MIN_PRODUCTION_PASSWORD_LENGTH` long (shorter ones are refused for
 * their length), compared ignoring case: the first guesses of any password-spraying list.
 */
const COMMON_PASSWORDS = new Set([
  '123456789012',
  '1234567890123',
  '12345678910',
  '111111111111',
  '000000000000',
  '1q2w3e4r5t6y',
  'qwertyuiop12',
  'qwertyuiop123',
  'qwerty123456',
  'abc123456789',
  'abcdefghijkl',
  'password1234',
  'password12345',
  'password123456',
  'password123!',
  'passwordpassword',
  'p@ssw0rd1234',
  'p@ssword1234',
  'changeme1234',
  'changeme12345',
  'letmein12345',
  'welcome12345',
  'welcome123456',
  'iloveyou1234',
  'administrator',
  'administrator1',
  'adminadmin123',
  'admin1234567',
  'adminpassword',
  'admin-password1',
  'supersecret123',
  'secretpassword',
  'correcthorsebatterystaple',
  'correct horse battery staple',
]);

/** Whether `value` is a secret published in this repository. */
export const isPublishedSecret = (value: string) => PUBLISHED_SECRETS.has(value);

/** Why `password` must not guard a production admin account, or undefined when nothing is known against it. */
export function weakPasswordProblem(password: string): string | undefined {
  if (password === DEV_ADMIN_PASSWORD) return 'the default admin password';
  if (PUBLISHED_PASSWORDS.has(password)) return "a password published in Shopgraph's source";
  if (password.length < MIN_PRODUCTION_PASSWORD_LENGTH) return `shorter than ${MIN_PRODUCTION_PASSWORD_LENGTH} characters`;
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return 'a common password';
  return undefined;
}

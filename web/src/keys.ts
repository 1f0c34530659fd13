/**
 * A random idempotency key. `crypto.getRandomValues` works on plain-http origins too (a shop
 * opened by its LAN address), where `crypto.randomUUID` is not available.
 */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

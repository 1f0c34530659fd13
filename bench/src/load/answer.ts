import type { HttpRequestSpec } from './protocol.js';

/** How often a request the platform sheds (503 with `retry-after`, as the contract says) is sent again. */
const SHED_ATTEMPTS = 3;

/**
 * The answer to one GraphQL POST a scenario needs before or outside its measured load (the
 * responses bare node:http replays, a cache to warm, statements to count), free of errors. A 503
 * with `retry-after` (a dependency too slow on a loaded machine) is sent again after the wait it
 * names, as a careful client does; a request that keeps failing fails the scenario, `what` saying
 * which request it was.
 */
export async function answerOf(url: string, { body, headers }: HttpRequestSpec, what: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await response.text();
    if (response.ok && !text.includes('"errors":')) return text;
    const retryAfterS = Number(response.headers.get('retry-after'));
    if (response.status !== 503 || !retryAfterS || attempt === SHED_ATTEMPTS) {
      throw new Error(`${what} failed on ${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, retryAfterS * 1000));
  }
}

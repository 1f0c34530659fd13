// `npm run screenshots -w @shopgraph/web`: the purchase flow's screenshots of the last browser test
// run (web/e2e/screenshots/last-run/, written by e2e/browser.ts) become the ones the README shows.
import { copyFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const shown = fileURLToPath(new URL('./screenshots/', import.meta.url));
const lastRun = `${shown}last-run/`;
const purchase = (() => {
  try {
    return readdirSync(lastRun).filter((name) => /^purchase.*\.png$/.test(name) && !name.endsWith('.failed.png'));
  } catch {
    return [];
  }
})();
if (purchase.length === 0) {
  console.error(`No purchase screenshots in ${lastRun}: run the browser tests first (npm test, or npx vitest run web/e2e/checkout.e2e.test.ts).`);
  process.exit(1);
}
for (const name of purchase) copyFileSync(`${lastRun}${name}`, `${shown}${name}`);
console.log(`Copied ${purchase.join(', ')} into ${shown}`);

/**
 * `npm run bench:subscriptions [-- --quick]`: the subscriptions scenario alone (5,000 open
 * subscriptions on one gateway, then a 30 s checkout whose customers watch their orders), on a
 * fresh platform; prints its figures as JSON and writes them to `results/subscriptions-<name>.json`.
 * `npm run bench` runs it too, with a shorter checkout (scenarios/subscriptions.ts).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseOptions } from './options.js';
import { START_TIMEOUT_MS } from './processes.js';
import { Progress } from './progress.js';
import { prepareSubscriptions, runSubscriptions, subscriptionsSize } from './scenarios/subscriptions.js';
import { Cleanup, Stage } from './stage.js';

const resultsDir = fileURLToPath(new URL('../results', import.meta.url));
const cleanup = new Cleanup();
process.once('SIGINT', () => void cleanup.run().finally(() => process.exit(130)));
try {
  const options = parseOptions(process.argv.slice(2), process.env, resultsDir);
  const progress = new Progress();
  const stage = await Stage.open(options, progress, cleanup);
  const [, setup] = await Promise.all([stage.platform.healthy(START_TIMEOUT_MS), prepareSubscriptions(stage, subscriptionsSize(options.quick, true))]);
  const result = await runSubscriptions(stage, progress, setup);
  const file = `${resultsDir}/subscriptions-${options.name}.json`;
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to ${file}\n`);
} catch (error) {
  process.stderr.write(`\nsubscriptions benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup.run();
}

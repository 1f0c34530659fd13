/** `npm run bench [-- --quick] [-- --name <name>]`: see bench/README.md. */
import { fileURLToPath } from 'node:url';
import { runBenchmark } from './benchmark.js';
import { parseOptions } from './options.js';
import { Progress } from './progress.js';

const resultsDir = fileURLToPath(new URL('../results', import.meta.url));

try {
  const options = parseOptions(process.argv.slice(2), process.env, resultsDir);
  const { files, report } = await runBenchmark(options, new Progress());
  process.stderr.write(`\n${report.headline.map((line) => `  ${line}`).join('\n')}\n\nreport: ${files.markdown}\n`);
} catch (error) {
  process.stderr.write(`\nbenchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}

import { createLogger, onShutdown, runMain } from '@shopgraph/common';
import { loadConfig } from '../../payment-provider/src/env.js';
import { createPaymentProviderServer } from '../../payment-provider/src/server.js';
import { openJournaledStore } from './provider-journal.js';

/**
 * The payment-provider simulator as the scale test runs it: payment-provider/src/index.ts with
 * its state in the journal named by the first argument, so that it survives the test's SIGKILL.
 */
runMain(async () => {
  const journal = process.argv[2];
  if (!journal) throw new Error('usage: payment-provider.ts <journal file>');
  const config = loadConfig();
  const logger = createLogger('payment-provider', config);
  const store = openJournaledStore(journal);
  const server = createPaymentProviderServer(config, logger, store);
  const url = await server.listen(config.port, config.host);
  logger.info({ url, journal }, 'payment-provider simulator ready, its state journaled');
  onShutdown(logger, async () => {
    await server.close();
    store.close();
  });
});

import { checkoutWiring } from './checkout-wiring.js';
import { runWorkersProcess } from './run.js';

runWorkersProcess(checkoutWiring);

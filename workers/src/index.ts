import { runWorkersProcess } from './run.js';

// No queue is worked and no outbox relayed yet: the processors (processors/<queue>.ts) and the
// outboxes of orders and payments are wired here once the subgraphs' service functions exist.
runWorkersProcess({ processors: () => ({}), outboxSubgraphs: [] });

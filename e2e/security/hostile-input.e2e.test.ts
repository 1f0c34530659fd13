import { describeHostileInput } from '../hostile-input.js';

// The same corpus against the platform as production runs it: rate limits on, errors masked.
describeHostileInput({ clientAddress: '198.51.100.20' });

import { DateTime } from '@shopgraph/common';
import { Mutation } from './Mutation.js';
import { Order } from './Order.js';
import { Payment } from './Payment.js';
import { Query } from './Query.js';

export const resolvers = { DateTime, Query, Mutation, Payment, Order };

import { DateTime } from '@shopgraph/common';
import { Order } from './Order.js';
import { OrderItem } from './OrderItem.js';
import { Query } from './Query.js';
import { User } from './User.js';

export const resolvers = { DateTime, Query, Order, OrderItem, User };

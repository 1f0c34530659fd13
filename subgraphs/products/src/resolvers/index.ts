import { DateTime } from '@shopgraph/common';
import type { Resolvers } from '../generated/resolvers.js';
import { Mutation } from './Mutation.js';
import { Product } from './Product.js';
import { Query } from './Query.js';

export const resolvers: Resolvers = { DateTime, Query, Mutation, Product };

import { DateTime } from '@shopgraph/common';
import { Mutation } from './Mutation.js';
import { Product } from './Product.js';
import { Query } from './Query.js';

export const resolvers = { DateTime, Query, Mutation, Product };

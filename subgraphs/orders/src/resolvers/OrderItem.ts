import type { OrderItemResolvers } from '../generated/resolvers.js';
import { toMoney } from '../services/order-service.js';

export const OrderItem: OrderItemResolvers = {
  product: (item) => ({ __typename: 'Product', id: item.productId }),
  unitPrice: (item) => toMoney(item.unitPriceAmount, item.unitPriceCurrency),
};

import type { OrderItemRow } from '../db/schema.js';
import { toMoney } from '../services/order-service.js';

export const OrderItem = {
  product: (item: OrderItemRow) => ({ __typename: 'Product', id: item.productId }),
  unitPrice: (item: OrderItemRow) => toMoney(item.unitPriceAmount, item.unitPriceCurrency),
};

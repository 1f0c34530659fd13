import type { CreateProductInput, MeQuery, OrderFieldsFragment, ProductFieldsFragment } from './gql/graphql';

// The operations the storefront sends live in operations.graphql; `npm run codegen` types them
// against the supergraph's API schema (gql/, the client preset). This module names them for the
// pages and derives the shapes the pages pass around from the operations' own result types.

export {
  CancelOrderDocument as CANCEL_ORDER,
  CartProductFragmentDoc as CART_PRODUCT,
  CreateProductDocument as CREATE_PRODUCT,
  DeleteProductDocument as DELETE_PRODUCT,
  LoginDocument as LOGIN,
  LogoutDocument as LOGOUT,
  MeDocument as ME,
  MyOrdersDocument as MY_ORDERS,
  OrderDocument as ORDER,
  OrderUpdatedDocument as ORDER_UPDATED,
  PayOrderDocument as PAY_ORDER,
  PlaceOrderDocument as PLACE_ORDER,
  ProductDocument as PRODUCT,
  ProductsDocument as PRODUCTS,
  ProductStockDocument as PRODUCT_STOCK,
  RegisterDocument as REGISTER,
  RestockProductDocument as RESTOCK_PRODUCT,
  UpdateOrderItemDocument as UPDATE_ORDER_ITEM,
  UpdateProductDocument as UPDATE_PRODUCT,
} from './gql/graphql';
export type { OrderStatus, PaymentStatus, Role } from './gql/graphql';

export type Viewer = NonNullable<MeQuery['me']>;
export type Product = ProductFieldsFragment;
export type Money = Product['price'];
export type Order = OrderFieldsFragment;
export type OrderItem = Order['items'][number];
export type Payment = NonNullable<Order['payment']>;
/** What the admin's product form edits (sku and stock are set once, at creation). */
export type ProductInput = Required<Pick<CreateProductInput, 'name' | 'description' | 'price'>>;

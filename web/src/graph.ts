import { gql, type TypedDocumentNode } from '@apollo/client';

// The operations the storefront sends, typed by hand after the public contract
// (shared/contract/api.graphql). Every object selects its id so the cache normalizes it:
// a stock level or an order status fetched anywhere updates every view of it.

export interface Money {
  amount: number;
  currency: string;
}

export type Role = 'CUSTOMER' | 'ADMIN';
export type OrderStatus = 'PENDING' | 'AWAITING_PAYMENT' | 'PAID' | 'CANCELLED' | 'REJECTED' | 'EXPIRED';
export type PaymentStatus = 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'REFUNDED';

export interface Viewer {
  __typename?: 'User';
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface Product {
  __typename?: 'Product';
  id: string;
  sku: string;
  name: string;
  description: string | null;
  price: Money;
  stock: number;
}

export interface Payment {
  __typename?: 'Payment';
  id: string;
  status: PaymentStatus;
  failureReason: string | null;
  amount: Money;
  createdAt: string;
}

export interface OrderItem {
  quantity: number;
  productName: string | null;
  unitPrice: Money | null;
  product: Pick<Product, 'id' | 'name' | 'sku' | 'stock'>;
}

export interface Order {
  __typename?: 'Order';
  id: string;
  status: OrderStatus;
  statusReason: string | null;
  total: Money | null;
  createdAt: string;
  updatedAt: string;
  items: OrderItem[];
  payment: Payment | null;
}

export interface Connection<Node> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: Node }[];
}

const PRODUCT_FIELDS = gql`
  fragment ProductFields on Product {
    id
    sku
    name
    description
    price {
      amount
      currency
    }
    stock
  }
`;

const ORDER_FIELDS = gql`
  fragment OrderFields on Order {
    id
    status
    statusReason
    total {
      amount
      currency
    }
    createdAt
    updatedAt
    items {
      quantity
      productName
      unitPrice {
        amount
        currency
      }
      product {
        id
        name
        sku
        stock
      }
    }
    payment {
      id
      status
      failureReason
      amount {
        amount
        currency
      }
      createdAt
    }
  }
`;

export const ME: TypedDocumentNode<{ me: Viewer | null }> = gql`
  query Me {
    me {
      id
      email
      name
      role
    }
  }
`;

/** Ends this token's session on the server, so a copy of the token is refused too. */
export const LOGOUT: TypedDocumentNode<{ logout: boolean }> = gql`
  mutation Logout {
    logout
  }
`;

export const LOGIN: TypedDocumentNode<
  { login: { token: string; user: Viewer } },
  { email: string; password: string }
> = gql`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
      user {
        id
        email
        name
        role
      }
    }
  }
`;

export const REGISTER: TypedDocumentNode<
  { register: { token: string; user: Viewer } },
  { input: { email: string; password: string; name: string } }
> = gql`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      token
      user {
        id
        email
        name
        role
      }
    }
  }
`;

export const PRODUCTS: TypedDocumentNode<
  { products: Connection<Product> },
  { first: number; after?: string | null; search?: string | null }
> = gql`
  ${PRODUCT_FIELDS}
  query Products($first: Int!, $after: String, $search: String) {
    products(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...ProductFields
        }
      }
    }
  }
`;

export const PRODUCT: TypedDocumentNode<{ product: Product | null }, { id: string }> = gql`
  ${PRODUCT_FIELDS}
  query Product($id: ID!) {
    product(id: $id) {
      ...ProductFields
    }
  }
`;

export const ORDER: TypedDocumentNode<{ order: Order | null }, { id: string }> = gql`
  ${ORDER_FIELDS}
  query Order($id: ID!) {
    order(id: $id) {
      ...OrderFields
    }
  }
`;

export const MY_ORDERS: TypedDocumentNode<{ orders: Connection<Order> }, { first: number; after?: string | null }> = gql`
  ${ORDER_FIELDS}
  query MyOrders($first: Int!, $after: String) {
    orders(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...OrderFields
        }
      }
    }
  }
`;

export const PLACE_ORDER: TypedDocumentNode<
  { placeOrder: Order },
  { input: { items: { productId: string; quantity: number }[] }; idempotencyKey: string }
> = gql`
  ${ORDER_FIELDS}
  mutation PlaceOrder($input: PlaceOrderInput!, $idempotencyKey: String) {
    placeOrder(input: $input, idempotencyKey: $idempotencyKey) {
      ...OrderFields
    }
  }
`;

export const UPDATE_ORDER_ITEM: TypedDocumentNode<
  { updateOrderItem: Order },
  { orderId: string; productId: string; quantity: number }
> = gql`
  ${ORDER_FIELDS}
  mutation UpdateOrderItem($orderId: ID!, $productId: ID!, $quantity: Int!) {
    updateOrderItem(orderId: $orderId, productId: $productId, quantity: $quantity) {
      ...OrderFields
    }
  }
`;

export const CANCEL_ORDER: TypedDocumentNode<{ cancelOrder: Order }, { id: string }> = gql`
  ${ORDER_FIELDS}
  mutation CancelOrder($id: ID!) {
    cancelOrder(id: $id) {
      ...OrderFields
    }
  }
`;

// The payment comes back with its order's latest state, so the order page's cached order
// points at this new attempt at once, before the next poll.
export const PAY_ORDER: TypedDocumentNode<
  { payOrder: Payment & { order: Pick<Order, 'id' | 'status'> & { payment: Pick<Payment, 'id'> | null } } },
  { orderId: string; idempotencyKey: string; card: string }
> = gql`
  mutation PayOrder($orderId: ID!, $idempotencyKey: String!, $card: String!) {
    payOrder(orderId: $orderId, idempotencyKey: $idempotencyKey, method: { card: $card }) {
      id
      status
      failureReason
      amount {
        amount
        currency
      }
      createdAt
      order {
        id
        status
        payment {
          id
        }
      }
    }
  }
`;

export interface ProductInput {
  name: string;
  description: string | null;
  price: Money;
}

export const CREATE_PRODUCT: TypedDocumentNode<
  { createProduct: Product },
  { input: ProductInput & { sku: string; stock: number } }
> = gql`
  ${PRODUCT_FIELDS}
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      ...ProductFields
    }
  }
`;

export const UPDATE_PRODUCT: TypedDocumentNode<{ updateProduct: Product }, { id: string; input: ProductInput }> = gql`
  ${PRODUCT_FIELDS}
  mutation UpdateProduct($id: ID!, $input: UpdateProductInput!) {
    updateProduct(id: $id, input: $input) {
      ...ProductFields
    }
  }
`;

export const RESTOCK_PRODUCT: TypedDocumentNode<{ restockProduct: Product }, { id: string; quantity: number }> = gql`
  ${PRODUCT_FIELDS}
  mutation RestockProduct($id: ID!, $quantity: Int!) {
    restockProduct(id: $id, quantity: $quantity) {
      ...ProductFields
    }
  }
`;

export const DELETE_PRODUCT: TypedDocumentNode<{ deleteProduct: boolean }, { id: string }> = gql`
  mutation DeleteProduct($id: ID!) {
    deleteProduct(id: $id)
  }
`;

/** What the cart's summary reads from the cache for each line; the line rows fetch it. */
export const CART_PRODUCT: TypedDocumentNode<Pick<Product, 'id' | 'name' | 'price' | 'stock'>> = gql`
  fragment CartProduct on Product {
    id
    name
    price {
      amount
      currency
    }
    stock
  }
`;

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { newIdempotencyKey } from './keys';

export interface CartLine {
  productId: string;
  quantity: number;
}

interface StoredCart {
  lines: CartLine[];
  /**
   * The idempotency key for placing exactly these lines: a double click, or a retry after a
   * lost answer, returns the same order. Any change to the lines makes a new key, since the
   * server refuses a key reused with other items.
   */
  checkoutKey: string;
}

export interface Cart extends StoredCart {
  count: number;
  quantityOf(productId: string): number;
  add(productId: string, quantity: number): void;
  setQuantity(productId: string, quantity: number): void;
  remove(productId: string): void;
  clear(): void;
}

const CART_KEY = 'shopgraph.cart';
const CartContext = createContext<Cart | null>(null);

function load(): StoredCart {
  try {
    const stored = JSON.parse(localStorage.getItem(CART_KEY) ?? 'null') as StoredCart | null;
    if (stored && Array.isArray(stored.lines) && typeof stored.checkoutKey === 'string') return stored;
  } catch {
    // A cart from an older version of the app, or edited by hand: start a new one.
  }
  return { lines: [], checkoutKey: newIdempotencyKey() };
}

/** The cart lives in this browser only (localStorage), shared by its tabs, until the order is placed. */
export function CartProvider({ children }: { children: ReactNode }) {
  const [cart, setCart] = useState<StoredCart>(load);

  useEffect(() => {
    localStorage.setItem(CART_KEY, JSON.stringify(cart));
  }, [cart]);
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === CART_KEY) setCart(load());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const change = useCallback((update: (lines: CartLine[]) => CartLine[]) => {
    setCart((current) => ({
      lines: update(current.lines).filter((line) => line.quantity > 0),
      checkoutKey: newIdempotencyKey(),
    }));
  }, []);

  const value = useMemo<Cart>(
    () => ({
      ...cart,
      count: cart.lines.reduce((sum, line) => sum + line.quantity, 0),
      quantityOf: (productId) => cart.lines.find((line) => line.productId === productId)?.quantity ?? 0,
      add: (productId, quantity) =>
        change((lines) =>
          lines.some((line) => line.productId === productId)
            ? lines.map((line) => (line.productId === productId ? { ...line, quantity: line.quantity + quantity } : line))
            : [...lines, { productId, quantity }],
        ),
      setQuantity: (productId, quantity) =>
        change((lines) => lines.map((line) => (line.productId === productId ? { ...line, quantity } : line))),
      remove: (productId) => change((lines) => lines.filter((line) => line.productId !== productId)),
      clear: () => change(() => []),
    }),
    [cart, change],
  );
  return <CartContext.Provider value={value}>{children}</CartContext.Provider>;
}

export function useCart(): Cart {
  const cart = useContext(CartContext);
  if (!cart) throw new Error('useCart outside CartProvider');
  return cart;
}

import { Link } from 'react-router';
import { useCart } from '../cart';
import type { Product } from '../graph';
import { Price } from './status';

/** "12 in stock", "Only 3 left", "Out of stock", with the number alone in `.stock-count`. */
export function StockLevel({ stock }: { stock: number }) {
  if (stock <= 0) return <span className="stock stock-out">Out of stock</span>;
  return (
    <span className={`stock ${stock <= 5 ? 'stock-low' : ''}`}>
      {stock <= 5 ? 'Only ' : ''}
      <span className="stock-count" data-testid="stock">
        {stock}
      </span>{' '}
      {stock <= 5 ? 'left' : 'in stock'}
    </span>
  );
}

export function ProductCard({ product }: { product: Product }) {
  const cart = useCart();
  const inCart = cart.quantityOf(product.id);
  const canAdd = inCart < product.stock;
  return (
    <article className="card product-card" aria-label={product.name}>
      <div className="product-art" aria-hidden="true">
        {product.name.slice(0, 1)}
      </div>
      <div className="product-body">
        <h2 className="product-name">
          <Link to={`/products/${product.id}`}>{product.name}</Link>
        </h2>
        <p className="sku">{product.sku}</p>
        {product.description && <p className="description">{product.description}</p>}
      </div>
      <div className="product-foot">
        <Price money={product.price} />
        <StockLevel stock={product.stock} />
      </div>
      <button type="button" className="button" disabled={!canAdd} onClick={() => cart.add(product.id, 1)}>
        {product.stock <= 0 ? 'Sold out' : inCart > 0 ? `Add another (${inCart} in cart)` : 'Add to cart'}
      </button>
    </article>
  );
}

import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useCart } from '../cart';
import { useSession } from '../session';
import { ErrorBoundary } from './ErrorBoundary';

export function Layout() {
  const { viewer, loading, logOut } = useSession();
  const cart = useCart();
  const location = useLocation();
  const navigate = useNavigate();
  const next = encodeURIComponent(location.pathname + location.search);

  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">◆</span> Shopgraph
        </Link>
        <nav className="nav" aria-label="Main">
          <NavLink to="/" end>
            Shop
          </NavLink>
          {viewer && <NavLink to="/orders">{viewer.role === 'ADMIN' ? 'All orders' : 'My orders'}</NavLink>}
          {viewer?.role === 'ADMIN' && <NavLink to="/admin">Admin</NavLink>}
          <NavLink to="/cart" className="cart-link">
            Cart
            {cart.count > 0 && (
              <span className="cart-count" aria-label={`${cart.count} items`}>
                {cart.count}
              </span>
            )}
          </NavLink>
        </nav>
        <div className="account">
          {loading ? (
            <span className="muted">…</span>
          ) : viewer ? (
            <>
              <span className="who" title={viewer.email}>
                {viewer.name}
                {viewer.role === 'ADMIN' && <span className="badge badge-neutral">admin</span>}
              </span>
              <button
                type="button"
                className="button button-secondary button-small"
                onClick={() => {
                  logOut();
                  navigate('/');
                }}
              >
                Log out
              </button>
            </>
          ) : (
            <>
              <Link to={`/login?next=${next}`} className="button button-secondary button-small">
                Log in
              </Link>
              <Link to={`/register?next=${next}`} className="button button-small">
                Register
              </Link>
            </>
          )}
        </div>
      </header>
      <main className="content">
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
      <footer className="footer">
        Shopgraph demo storefront · prices in each product’s currency · test cards only, no real money
      </footer>
    </div>
  );
}

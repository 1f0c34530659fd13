import { Component, type ErrorInfo, type ReactNode } from 'react';

interface State {
  error: Error | null;
}

/**
 * A rendering bug shows an apology and a way on instead of a blank page. `resetKey` (the
 * path) clears it, so navigating away recovers.
 */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('storefront render failed', error, info.componentStack);
  }

  override componentDidUpdate(previous: { resetKey: string }) {
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <section className="panel crash" role="alert">
        <h1>Something went wrong on this page</h1>
        <p>Sorry about that. Your cart and login are safe. Reload the page, or go back to the shop.</p>
        <div className="actions">
          <button type="button" className="button" onClick={() => window.location.reload()}>
            Reload
          </button>
          <a className="button button-secondary" href="/">
            Back to the shop
          </a>
        </div>
      </section>
    );
  }
}

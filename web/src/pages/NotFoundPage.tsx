import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <section className="panel">
      <h1>There is no page here</h1>
      <p>
        The address may be mistyped or out of date. <Link to="/">Back to the shop</Link>
      </p>
    </section>
  );
}

import { useMutation } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorNotice } from '../components/feedback';
import { LOGIN, REGISTER } from '../graph';
import { useSession } from '../session';

/** Where to go after logging in: a path of this app only, never another site. */
function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage() {
  const next = useNext();
  const navigate = useNavigate();
  const session = useSession();
  const [login, { loading, error }] = useMutation(LOGIN);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await login({ variables: { email, password } }).catch(() => undefined);
    if (!result?.data) return;
    session.logIn(result.data.login.token);
    navigate(next);
  };

  return (
    <section className="panel narrow">
      <h1>Log in</h1>
      <form className="form" onSubmit={(event) => void submit(event)}>
        <label className="field">
          Email
          <input type="email" autoComplete="email" required value={email} onChange={(event) => setEmail(event.target.value)} />
        </label>
        <label className="field">
          Password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        {error && <ErrorNotice error={error} />}
        <button type="submit" className="button button-large" disabled={loading}>
          {loading ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p className="muted">
        New here? <Link to={`/register?next=${encodeURIComponent(next)}`}>Create an account</Link>
      </p>
    </section>
  );
}

export function RegisterPage() {
  const next = useNext();
  const navigate = useNavigate();
  const session = useSession();
  const [register, { loading, error }] = useMutation(REGISTER);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await register({ variables: { input: { name, email, password } } }).catch(() => undefined);
    if (!result?.data) return;
    session.logIn(result.data.register.token);
    navigate(next);
  };

  return (
    <section className="panel narrow">
      <h1>Create an account</h1>
      <form className="form" onSubmit={(event) => void submit(event)}>
        <label className="field">
          Name
          <input autoComplete="name" required value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label className="field">
          Email
          <input type="email" autoComplete="email" required value={email} onChange={(event) => setEmail(event.target.value)} />
        </label>
        <label className="field">
          Password
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          <span className="hint">At least 8 characters.</span>
        </label>
        {error && <ErrorNotice error={error} />}
        <button type="submit" className="button button-large" disabled={loading}>
          {loading ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
      <p className="muted">
        Have an account? <Link to={`/login?next=${encodeURIComponent(next)}`}>Log in</Link>
      </p>
    </section>
  );
}

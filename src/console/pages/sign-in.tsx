import { useState, type FormEvent } from 'react';
import { ApiClient, describeError } from '../api/client';
import type { Team } from '../api/types';
import { useTitle } from '../lib/router';

/** Signs in by asking the API who the key belongs to (GET /v1/team). */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (api: ApiClient, team: Team) => void; notice?: string }) {
  useTitle('Sign in');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const token = key.trim();
    if (!/^clsa_\S+_\S+$/.test(token)) {
      setError('An API key looks like clsa_<prefix>_<secret>.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const api = new ApiClient(token);
      onSignedIn(api, await api.get<Team>('/v1/team'));
    } catch (caught) {
      setError(describeError(caught).title);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" id="main">
      <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">CLSA console</h1>
        <p className="muted">Sign in with an API key of your team. It is kept in this tab only, until you sign out.</p>
        {notice !== undefined && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-invalid={error !== undefined}
          aria-describedby={error !== undefined ? 'api-key-error' : 'api-key-help'}
          required
        />
        {error !== undefined ? (
          <p className="field-error" id="api-key-error" role="alert">
            {error}
          </p>
        ) : (
          <p className="muted small" id="api-key-help">
            On the embedded default, the first start prints an admin key and saves it in .clsa/first-admin-key.txt.
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

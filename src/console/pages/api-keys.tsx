import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import type { ApiKey, ApiKeyScope } from '../api/types';
import { Empty, ErrorState, Loaded } from '../components/states';
import { FieldError } from '../components/widgets';
import { useAuth } from '../lib/auth';
import { dateTime } from '../lib/format';
import { useTitle } from '../lib/router';
import { prefixOf } from '../lib/session';
import { useResource } from '../lib/use-resource';

const SCOPES: ApiKeyScope[] = ['READ', 'WRITE', 'ADMIN'];

export function ApiKeysPage() {
  useTitle('API keys');
  const { api, signOut } = useAuth();
  const [showRevoked, setShowRevoked] = useState(false);
  const keys = useResource(
    (signal) => api.get<{ apiKeys: ApiKey[] }>('/v1/api-keys', { includeRevoked: showRevoked }, signal),
    [api, showRevoked],
  );
  const [created, setCreated] = useState<{ name: string; secret: string }>();
  const [actionError, setActionError] = useState<unknown>(null);
  const mine = prefixOf(api.key);

  const revoke = async (key: ApiKey) => {
    setActionError(null);
    try {
      await api.delete(`/v1/api-keys/${key.id}`);
      if (key.prefix === mine) signOut('You revoked the key you were signed in with.');
      else keys.reload();
    } catch (error) {
      setActionError(error);
    }
  };

  return (
    <section>
      <h1>API keys</h1>
      <p className="muted">
        Keys belong to the team. READ can look, WRITE can also create and cancel, ADMIN can also manage keys.
      </p>
      <CreateKey
        onCreated={(name, secret) => {
          setCreated({ name, secret });
          keys.reload();
        }}
      />
      {created !== undefined && (
        <div className="card secret" role="status">
          <strong>New key “{created.name}” — copy it now, it is shown only once:</strong>
          <code className="secret-value" data-testid="new-secret">
            {created.secret}
          </code>
          <div className="actions">
            <button type="button" onClick={() => void navigator.clipboard?.writeText(created.secret)}>
              Copy
            </button>
            <button type="button" onClick={() => setCreated(undefined)}>
              I have stored it
            </button>
          </div>
        </div>
      )}
      {actionError !== null && <ErrorState error={actionError} />}
      <label className="check">
        <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} /> Show revoked
        keys
      </label>
      <Loaded resource={keys} what="API keys">
        {({ apiKeys }) =>
          apiKeys.length === 0 ? (
            <Empty title="No keys" />
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Prefix</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Expires</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {apiKeys.map((k) => (
                    <tr key={k.id} data-key={k.name} className={k.revokedAt !== null ? 'revoked' : undefined}>
                      <td>
                        {k.name}
                        {k.prefix === mine && <span className="tag">this session</span>}
                      </td>
                      <td>
                        <code>{k.prefix}</code>
                      </td>
                      <td>{k.scopes.join(', ')}</td>
                      <td>{dateTime(k.createdAt)}</td>
                      <td>{dateTime(k.lastUsedAt)}</td>
                      <td>{k.expiresAt === null ? 'never' : dateTime(k.expiresAt)}</td>
                      <td>
                        {k.revokedAt !== null ? (
                          <span className="muted">revoked {dateTime(k.revokedAt)}</span>
                        ) : (
                          <button
                            type="button"
                            className="danger"
                            aria-label={`Revoke ${k.name}`}
                            onClick={() => void revoke(k)}
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </section>
  );
}

function CreateKey({ onCreated }: { onCreated: (name: string, secret: string) => void }) {
  const { api } = useAuth();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiKeyScope[]>(['READ', 'WRITE']);
  const [expires, setExpires] = useState('');
  const [fieldError, setFieldError] = useState<{ field: string; message: string }>();
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFieldError(undefined);
    setError(null);
    try {
      const body = { name, scopes, ...(expires !== '' ? { expiresInDays: Number(expires) } : {}) };
      const answer = await api.post<{ apiKey: ApiKey; secret: string }>('/v1/api-keys', body);
      onCreated(answer.apiKey.name, answer.secret);
      setName('');
      setExpires('');
    } catch (caught) {
      if (caught instanceof ApiError && caught.field !== undefined) {
        setFieldError({ field: caught.field, message: caught.message });
      } else setError(caught);
    }
  };
  const errorOf = (field: string) => (fieldError?.field === field ? fieldError.message : undefined);

  return (
    <form className="card form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <label htmlFor="key-name">Name</label>
      <input
        id="key-name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        placeholder="e.g. airflow prod"
        aria-invalid={errorOf('name') !== undefined}
        aria-describedby="key-name-error"
      />
      <FieldError id="key-name-error" message={errorOf('name')} />
      <fieldset>
        <legend>Scopes</legend>
        {SCOPES.map((scope) => (
          <label key={scope} className="check">
            <input
              type="checkbox"
              checked={scopes.includes(scope)}
              onChange={(e) => setScopes(e.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))}
            />{' '}
            {scope}
          </label>
        ))}
        <FieldError id="key-scopes-error" message={errorOf('scopes')} />
      </fieldset>
      <label htmlFor="key-expires">Expires in days (empty: never)</label>
      <input
        id="key-expires"
        inputMode="numeric"
        value={expires}
        onChange={(e) => setExpires(e.target.value)}
        aria-invalid={errorOf('expiresInDays') !== undefined}
        aria-describedby="key-expires-error"
      />
      <FieldError id="key-expires-error" message={errorOf('expiresInDays')} />
      {error !== null && <ErrorState error={error} />}
      <div className="actions">
        <button type="submit" className="primary">
          Create key
        </button>
      </div>
    </form>
  );
}

import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiClient } from './api/client';
import type { Team } from './api/types';
import { AuthContext, type Auth } from './lib/auth';
import { Link, match, navigate, Redirect, useLocation } from './lib/router';
import { clearKey, storedKey, storeKey } from './lib/session';
import { ApiKeysPage } from './pages/api-keys';
import { DatasetDetail } from './pages/dataset-detail';
import { DatasetUpload } from './pages/dataset-upload';
import { DatasetsList } from './pages/datasets-list';
import { EncoderDetail } from './pages/encoder-detail';
import { EncodersList } from './pages/encoders-list';
import { JobCreate } from './pages/job-create';
import { JobDetail } from './pages/job-detail';
import { JobsList } from './pages/jobs-list';
import { SignIn } from './pages/sign-in';
import { Loading } from './components/states';

const NAV = [
  ['/datasets', 'Datasets'],
  ['/jobs', 'Jobs'],
  ['/encoders', 'Encoders'],
  ['/api-keys', 'API keys'],
] as const;

function Page({ path }: { path: string }) {
  const routes: [string, (p: Record<string, string>) => ReactNode][] = [
    ['/', () => <Redirect to="/jobs" />],
    ['/datasets', () => <DatasetsList />],
    ['/datasets/upload', () => <DatasetUpload />],
    ['/datasets/:id', (p) => <DatasetDetail id={p.id ?? ''} />],
    ['/jobs', () => <JobsList />],
    ['/jobs/new', () => <JobCreate />],
    ['/jobs/:id', (p) => <JobDetail id={p.id ?? ''} />],
    ['/encoders', () => <EncodersList />],
    ['/encoders/:id', (p) => <EncoderDetail id={p.id ?? ''} />],
    ['/api-keys', () => <ApiKeysPage />],
  ];
  for (const [pattern, render] of routes) {
    const params = match(pattern, path);
    if (params !== null) return <>{render(params)}</>;
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no console page at <code>{path}</code>. Go to <Link to="/jobs">jobs</Link> or{' '}
        <Link to="/datasets">datasets</Link>.
      </p>
    </section>
  );
}

function Shell({ auth }: { auth: Auth }) {
  const { path } = useLocation();
  return (
    <AuthContext.Provider value={auth}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/jobs" className="brand">
          CLSA console
        </Link>
        <nav aria-label="Main">
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} aria-current={path === to || path.startsWith(`${to}/`) ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <div className="who">
          <span className="muted" title={`team ${auth.team.slug}`}>
            {auth.team.name}
          </span>
          <button type="button" onClick={() => auth.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
    </AuthContext.Provider>
  );
}

export function App() {
  const [session, setSession] = useState<{ api: ApiClient; team: Team } | null>(null);
  const [restoring, setRestoring] = useState(() => storedKey() !== null);
  const [notice, setNotice] = useState<string>();

  const signOut = useCallback((reason?: string) => {
    clearKey();
    setSession(null);
    setNotice(reason);
    navigate('/', { replace: true });
  }, []);

  useEffect(() => {
    const key = storedKey();
    if (key === null) return;
    const api = new ApiClient(key);
    api
      .get<Team>('/v1/team')
      .then((team) => setSession({ api, team }))
      .catch((error: unknown) => {
        clearKey();
        setNotice(error instanceof Error ? `Signed out: ${error.message}` : undefined);
      })
      .finally(() => setRestoring(false));
  }, []);

  useEffect(() => {
    if (session === null) return;
    return session.api.onRefused((error) => signOut(`Signed out: ${error.message}`));
  }, [session, signOut]);

  const auth = useMemo<Auth | null>(() => (session === null ? null : { ...session, signOut }), [session, signOut]);

  if (restoring) return <Loading what="your session" />;
  if (auth === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(api, team) => {
          storeKey(api.key);
          setNotice(undefined);
          setSession({ api, team });
        }}
      />
    );
  }
  return <Shell auth={auth} />;
}

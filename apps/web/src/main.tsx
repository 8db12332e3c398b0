import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, can, session, whenUnauthenticated } from './api';
import { ErrorBanner } from './components/common';
import type { Me } from './me';
import { MeContext } from './me';
import { installLinkInterception, link, navigate, useRoute } from './router';
import { AdminScreen } from './screens/admin';
import { DocumentScreen } from './screens/document';
import { IssueScreen } from './screens/issue';
import { IssuesScreen } from './screens/issues';
import { LogReviewScreen } from './screens/log-review';
import { SignIn } from './screens/sign-in';
import './styles.css';
import type { WhoAmI } from './types';

function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(Boolean(session.key));
  const [error, setError] = useState<unknown>(null);
  const route = useRoute();

  useEffect(() => {
    whenUnauthenticated(() => {
      session.clear();
      setMe(null);
    });
    const key = session.key;
    if (!key) return;
    api<WhoAmI>('GET', '/v1/auth/whoami').then(
      (who) => {
        setMe({ name: who.name, scopes: who.scopes });
        setChecking(false);
      },
      (err: unknown) => {
        setError(err);
        setChecking(false);
      },
    );
  }, []);

  useEffect(() => {
    const title = document.querySelector('h1')?.textContent;
    document.title = title ? `${title} · TFTSR` : 'TFTSR review';
  });

  if (checking)
    return (
      <main id="main">
        <p aria-live="polite">Checking your key…</p>
      </main>
    );
  if (!me) {
    return (
      <SignIn
        error={error}
        onSignedIn={(who) => {
          setError(null);
          setMe(who);
        }}
      />
    );
  }

  const signOut = () => {
    session.clear();
    setMe(null);
    navigate('/', true);
  };

  return (
    <MeContext.Provider value={me}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <nav aria-label="Main">
          <a class="brand" href={link('/')}>
            TFTSR
          </a>
          <a href={link('/')} aria-current={route.path === '/' ? 'page' : undefined}>
            Issues
          </a>
          {can(me.scopes, 'admin') && (
            <a href={link('/admin')} aria-current={route.path.startsWith('/admin') ? 'page' : undefined}>
              Admin
            </a>
          )}
        </nav>
        <div class="who">
          <span data-testid="whoami">{me.name}</span>
          <ul class="scopes" aria-label="Your key's scopes">
            {me.scopes.map((s) => (
              <li key={s} class="scope">
                {s}
              </li>
            ))}
          </ul>
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Routed path={route.path} search={route.search} />
      </main>
    </MeContext.Provider>
  );
}

function Routed({ path, search }: { path: string; search: URLSearchParams }) {
  let m: RegExpExecArray | null;
  if (path === '/' || path === '/issues') return <IssuesScreen search={search} />;
  if ((m = /^\/issues\/([^/]+)$/.exec(path))) return <IssueScreen id={decodeURIComponent(m[1])} />;
  if ((m = /^\/log-files\/([^/]+)$/.exec(path))) return <LogReviewScreen id={decodeURIComponent(m[1])} search={search} />;
  if ((m = /^\/documents\/([^/]+)$/.exec(path))) return <DocumentScreen id={decodeURIComponent(m[1])} />;
  if (path === '/admin') return <AdminScreen />;
  return (
    <>
      <h1>Not found</h1>
      <ErrorBanner error={new Error(`There is no page at ${path}`)} />
      <p>
        <a href={link('/')}>Back to the issues</a>
      </p>
    </>
  );
}

installLinkInterception();
render(<App />, document.getElementById('app') as HTMLElement);

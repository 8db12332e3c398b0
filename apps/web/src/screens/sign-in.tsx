import { useState } from 'preact/hooks';
import { api, session } from '../api';
import { ErrorBanner } from '../components/common';
import type { Me } from '../me';
import type { WhoAmI } from '../types';

export function SignIn({ onSignedIn, error: initial }: { onSignedIn: (me: Me) => void; error?: unknown }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(initial ?? null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const who = await api<WhoAmI>('GET', '/v1/auth/whoami', undefined, key.trim());
      session.set(key.trim());
      setKey('');
      onSignedIn({ name: who.name, scopes: who.scopes });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to TFTSR</h1>
      <p>Paste an API key. It stays in this tab only (session storage) and is sent as a Bearer token to this server.</p>
      <form onSubmit={(e) => void submit(e)}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          required
        />
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      <ErrorBanner error={error} />
    </main>
  );
}

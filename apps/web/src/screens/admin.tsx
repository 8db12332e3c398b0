import { useState } from 'preact/hooks';
import type { Scope } from '../api';
import { api, get } from '../api';
import { ErrorBanner, Section, useAction, useLoad } from '../components/common';
import { useCan } from '../me';
import type { ApiKeyItem, Integration, Setting } from '../types';

const SCOPES: Scope[] = ['read', 'write', 'admin', 'pii:reveal'];

export function AdminScreen() {
  const can = useCan();
  if (!can('admin')) {
    return (
      <>
        <h1>Admin</h1>
        <p>This key has no admin scope.</p>
      </>
    );
  }
  return (
    <>
      <h1>Admin</h1>
      <Integrations />
      <ApiKeys />
      <Settings />
      <AuditVerify />
    </>
  );
}

function Integrations() {
  const list = useLoad(() => get<{ items: Integration[] }>('/v1/integrations'), []);
  return (
    <Section title="Integrations">
      <ErrorBanner error={list.error} />
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Base URL</th>
            <th scope="col">Account / project / space</th>
            <th scope="col">Auto-publish</th>
            <th scope="col">Credential</th>
            <th scope="col">Connection</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((i) => (
            <tr key={i.service}>
              <td>{i.service}</td>
              <td>{i.configured ? i.base_url : <span class="muted">not configured</span>}</td>
              <td>{[i.username, i.project_name, i.space_key].filter(Boolean).join(' · ') || '—'}</td>
              <td>{i.auto_create_enabled ? 'on' : 'off'}</td>
              <td>
                {i.credential.set ? (
                  i.credential.expired ? (
                    <span class="error-text">expired {i.credential.expires_at}</span>
                  ) : (
                    `set ${i.credential.created_at ?? ''}${i.credential.expires_at ? `, expires ${i.credential.expires_at}` : ''}`
                  )
                ) : (
                  <span class="muted">not set</span>
                )}
              </td>
              <td>{i.configured && i.credential.set ? <ConnectionTest service={i.service} /> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && <IntegrationForm items={list.data.items} onSaved={list.reload} />}
    </Section>
  );
}

function ConnectionTest({ service }: { service: string }) {
  const action = useAction();
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  return (
    <>
      <button
        type="button"
        class="secondary small"
        disabled={action.busy}
        onClick={() => void action.run(async () => setResult(await api('POST', `/v1/integrations/${service}/test`, {})))}
      >
        Test {service}
      </button>
      {result && (
        <span role="status" class={result.ok ? 'ok-text' : 'error-text'}>
          {' '}
          {result.ok ? 'OK' : 'Failed'}: {result.message}
        </span>
      )}
      <ErrorBanner error={action.error} />
    </>
  );
}

function IntegrationForm({ items, onSaved }: { items: Integration[]; onSaved: () => void }) {
  const [service, setService] = useState(items[0]?.service ?? 'confluence');
  const current = items.find((i) => i.service === service);
  const [baseUrl, setBaseUrl] = useState('');
  const [account, setAccount] = useState('');
  const [secret, setSecret] = useState('');
  const [expires, setExpires] = useState('');
  const action = useAction();
  const save = async (event: Event) => {
    event.preventDefault();
    const ok = await action.run(async () => {
      if (baseUrl) {
        const config: Record<string, unknown> = { base_url: baseUrl };
        if (service === 'confluence') config.space_key = account || current?.space_key;
        if (service === 'azuredevops') config.project_name = account || current?.project_name;
        if (service === 'servicenow') config.username = account || current?.username;
        await api('PUT', `/v1/integrations/${service}/config`, config);
      }
      if (secret)
        await api('PUT', `/v1/integrations/${service}/credential`, {
          secret,
          ...(expires ? { expires_at: new Date(expires).toISOString() } : {}),
        });
      return true;
    });
    if (ok) {
      setSecret('');
      onSaved();
    }
  };
  return (
    <form class="form-grid" onSubmit={(e) => void save(e)} aria-label="Configure an integration">
      <label for="int-service">Service</label>
      <select id="int-service" value={service} onChange={(e) => setService((e.target as HTMLSelectElement).value)}>
        {items.map((i) => (
          <option key={i.service} value={i.service}>
            {i.service}
          </option>
        ))}
      </select>
      <label for="int-url">Base URL</label>
      <input
        id="int-url"
        type="url"
        placeholder={current?.base_url ?? 'https://…'}
        value={baseUrl}
        onInput={(e) => setBaseUrl((e.target as HTMLInputElement).value)}
      />
      <label for="int-account">{service === 'confluence' ? 'Space key' : service === 'azuredevops' ? 'Project' : 'User'}</label>
      <input id="int-account" value={account} onInput={(e) => setAccount((e.target as HTMLInputElement).value)} />
      <label for="int-secret">New secret (write only)</label>
      <input
        id="int-secret"
        type="password"
        autocomplete="off"
        value={secret}
        onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
      />
      <label for="int-expires">Secret expires</label>
      <input id="int-expires" type="date" value={expires} onInput={(e) => setExpires((e.target as HTMLInputElement).value)} />
      <div class="form-actions">
        <button type="submit" disabled={action.busy || (!baseUrl && !secret)}>
          Save
        </button>
      </div>
      <ErrorBanner error={action.error} />
    </form>
  );
}

function ApiKeys() {
  const list = useLoad(() => get<{ items: ApiKeyItem[] }>('/v1/api-keys'), []);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['read']);
  const [secret, setSecret] = useState<{ name: string; key: string } | null>(null);
  const action = useAction();
  const create = async (event: Event) => {
    event.preventDefault();
    const created = await action.run(() => api<ApiKeyItem & { key: string }>('POST', '/v1/api-keys', { name, scopes }));
    if (created) {
      setSecret({ name: created.name, key: created.key });
      setName('');
      list.reload();
    }
  };
  return (
    <Section title="API keys">
      <ErrorBanner error={list.error ?? action.error} />
      {secret && (
        <div class="notice" role="status">
          <p>
            The key <strong>{secret.name}</strong> is shown this once; copy it now:
          </p>
          <p>
            <code class="secret" data-testid="new-key">
              {secret.key}
            </code>
          </p>
          <button type="button" class="secondary" onClick={() => setSecret(null)}>
            I have copied it
          </button>
        </div>
      )}
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Starts with</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>
                <code>{k.key_prefix}…</code>
              </td>
              <td>{k.scopes.join(', ')}</td>
              <td>{k.created_at}</td>
              <td>{k.last_used_at ?? '—'}</td>
              <td>
                {k.revoked_at ? (
                  `revoked ${k.revoked_at}`
                ) : (
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Revoke ${k.name}`}
                    onClick={() => {
                      if (confirm(`Revoke the key ${k.name}? It stops working at once.`))
                        void action.run(async () => {
                          await api('DELETE', `/v1/api-keys/${k.id}`);
                          list.reload();
                        });
                    }}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="form-grid" onSubmit={(e) => void create(e)} aria-label="Create an API key">
        <label for="key-name">Name</label>
        <input
          id="key-name"
          required
          pattern="[A-Za-z0-9._\-]+"
          maxLength={64}
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) => setScopes((prev) => ((e.target as HTMLInputElement).checked ? [...prev, s] : prev.filter((x) => x !== s)))}
              />
              {s}
            </label>
          ))}
        </fieldset>
        <div class="form-actions">
          <button type="submit" disabled={action.busy || !name || scopes.length === 0}>
            Create key
          </button>
        </div>
      </form>
    </Section>
  );
}

function Settings() {
  const list = useLoad(() => get<{ items: Setting[] }>('/v1/settings'), []);
  return (
    <Section title="Settings">
      <ErrorBanner error={list.error} />
      <dl class="settings">
        {list.data?.items.map((s) => (
          <SettingRow key={s.key} setting={s} onSaved={list.reload} />
        ))}
      </dl>
    </Section>
  );
}

function SettingRow({ setting, onSaved }: { setting: Setting; onSaved: () => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const action = useAction();
  const id = `setting-${setting.key.replace(/[^a-z0-9]/gi, '-')}`;
  return (
    <div class="setting">
      <dt>
        <code>{setting.key}</code> {setting.is_default && <span class="muted">(default)</span>}
      </dt>
      <dd>
        <p class="muted">{setting.description}</p>
        {draft === null ? (
          <>
            <code>{JSON.stringify(setting.value)}</code>{' '}
            <button
              type="button"
              class="secondary"
              onClick={() => setDraft(JSON.stringify(setting.value))}
              aria-label={`Edit ${setting.key}`}
            >
              Edit
            </button>
          </>
        ) : (
          <form
            onSubmit={(e) =>
              void (async () => {
                e.preventDefault();
                const ok = await action.run(async () => {
                  let value: unknown;
                  try {
                    value = JSON.parse(draft);
                  } catch {
                    throw new Error('The value must be JSON, e.g. "text", 42, true or ["a","b"]');
                  }
                  return api('PUT', `/v1/settings/${encodeURIComponent(setting.key)}`, { value });
                });
                if (ok !== undefined) {
                  setDraft(null);
                  onSaved();
                }
              })()
            }
          >
            <label for={id} class="visually-hidden">
              {setting.key} (JSON)
            </label>
            <input id={id} value={draft} onInput={(e) => setDraft((e.target as HTMLInputElement).value)} />
            <button type="submit" disabled={action.busy}>
              Save
            </button>
            <button type="button" class="secondary" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </form>
        )}
        <ErrorBanner error={action.error} />
      </dd>
    </div>
  );
}

function AuditVerify() {
  const [result, setResult] = useState<{
    intact: boolean;
    entries: number;
    head_hash: string | null;
    first_broken?: { reason: string };
  } | null>(null);
  const action = useAction();
  return (
    <Section
      title="Audit chain"
      actions={
        <button type="button" disabled={action.busy} onClick={() => void action.run(async () => setResult(await get('/v1/audit/verify')))}>
          Verify the audit chain
        </button>
      }
    >
      <ErrorBanner error={action.error} />
      {result && (
        <p role="status" data-testid="audit-verify">
          {result.intact
            ? `Intact: ${result.entries} entries, head ${result.head_hash ?? '—'}.`
            : `BROKEN after ${result.entries} entries: ${result.first_broken?.reason ?? 'unknown reason'}.`}
        </p>
      )}
    </Section>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api';
import { Chip, ErrorBanner, useAction } from '../components/common';
import { useCan } from '../me';
import { link, navigate } from '../router';
import type { Issue, IssueStatus, Severity } from '../types';

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];
const STATUSES: IssueStatus[] = ['open', 'investigating', 'resolved', 'closed'];

interface Page {
  items: Issue[];
  next_cursor: string | null;
  total: number | null;
}

/** The issues list: full-text search, severity and status chips, category filter, sort; filters live in the URL. */
export function IssuesScreen({ search }: { search: URLSearchParams }) {
  const can = useCan();
  const q = search.get('q') ?? '';
  const severity = search.get('severity') ?? '';
  const status = search.get('status') ?? '';
  const category = search.get('category') ?? '';
  const sort = search.get('sort') ?? '';
  const tag = search.get('tag') ?? '';
  const [draft, setDraft] = useState(q);
  const [items, setItems] = useState<Issue[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [creating, setCreating] = useState(false);

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    navigate(`/${next.toString() ? `?${next}` : ''}`, true);
  };

  const load = async (after: string | null) => {
    setLoading(true);
    try {
      const page = await api<Page>(
        'GET',
        `/v1/issues${qs({ q, severity, status, category, tag, sort, cursor: after, limit: 50, include_total: after ? undefined : true })}`,
      );
      setItems((prev) => (after ? [...prev, ...page.items] : page.items));
      setCursor(page.next_cursor);
      if (!after) setTotal(page.total);
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    setDraft(q);
    void load(null);
  }, [q, severity, status, category, tag, sort]);

  return (
    <>
      <div class="page-head">
        <h1>Issues</h1>
        {can('write') && (
          <button type="button" onClick={() => setCreating((v) => !v)} aria-expanded={creating}>
            New issue
          </button>
        )}
      </div>
      {creating && <NewIssueForm onCreated={(issue) => navigate(`/issues/${issue.id}`)} />}
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter('q', draft.trim());
        }}
      >
        <label for="issue-search" class="visually-hidden">
          Search issues
        </label>
        <input
          id="issue-search"
          type="search"
          placeholder="Search title and description"
          value={draft}
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Search</button>
        <label for="issue-category">Category</label>
        <input id="issue-category" value={category} onChange={(e) => setFilter('category', (e.target as HTMLInputElement).value.trim())} />
        <label for="issue-sort">Sort</label>
        <select id="issue-sort" value={sort} onChange={(e) => setFilter('sort', (e.target as HTMLSelectElement).value)}>
          <option value="">{q ? 'Best match' : 'Recently updated'}</option>
          <option value="updated_at">Recently updated</option>
          <option value="created_at">Recently created</option>
          <option value="severity">Severity</option>
        </select>
      </form>
      <div class="chips" role="group" aria-label="Severity">
        {SEVERITIES.map((s) => (
          <Chip
            key={s}
            label={s}
            tone={`sev-${s}`}
            pressed={severity === s}
            onToggle={() => setFilter('severity', severity === s ? '' : s)}
          />
        ))}
      </div>
      <div class="chips" role="group" aria-label="Status">
        {STATUSES.map((s) => (
          <Chip key={s} label={s} pressed={status === s} onToggle={() => setFilter('status', status === s ? '' : s)} />
        ))}
      </div>
      {tag && (
        <div class="chips" role="group" aria-label="Tag">
          <Chip label={`tag: ${tag} ✕`} pressed onToggle={() => setFilter('tag', '')} />
        </div>
      )}
      <ErrorBanner error={error} />
      <p aria-live="polite" class="muted">
        {loading ? 'Loading…' : total !== null ? `${total} issue${total === 1 ? '' : 's'}` : ''}
      </p>
      <ul class="issue-list">
        {items.map((issue) => (
          <li key={issue.id} class="issue-row">
            <a href={link(`/issues/${issue.id}`)} class="issue-title">
              {issue.title}
            </a>
            <span class={`badge sev-${issue.severity}`}>{issue.severity}</span>
            <span class="badge">{issue.status}</span>
            {issue.category && <span class="muted">{issue.category}</span>}
            {issue.tags.map((t) => (
              <button key={t} type="button" class="chip small" onClick={() => setFilter('tag', t)} aria-label={`Filter by tag ${t}`}>
                #{t}
              </button>
            ))}
            <span class="muted">updated {issue.updated_at}</span>
            {issue.snippet && <Snippet html={issue.snippet} />}
          </li>
        ))}
      </ul>
      {!loading && items.length === 0 && !error && <p>No issue matches.</p>}
      {cursor && (
        <button type="button" class="secondary" disabled={loading} onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
    </>
  );
}

/** The API escapes the text and adds only <mark>: rebuilt as text nodes here, so nothing else can get in. */
function Snippet({ html }: { html: string }) {
  const parts = html.split(/(<mark>.*?<\/mark>)/g);
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  return (
    <p class="snippet">{parts.map((p, i) => (p.startsWith('<mark>') ? <mark key={i}>{unescape(p.slice(6, -7))}</mark> : unescape(p)))}</p>
  );
}

function NewIssueForm({ onCreated }: { onCreated: (issue: Issue) => void }) {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [severity, setSeverity] = useState<Severity>('medium');
  const [category, setCategory] = useState('');
  const action = useAction();
  return (
    <form
      class="card form-grid"
      aria-label="New issue"
      onSubmit={(e) =>
        void (async () => {
          e.preventDefault();
          const issue = await action.run(() =>
            api<Issue>('POST', '/v1/issues', { title, description: description || null, severity, category: category || null }),
          );
          if (issue) onCreated(issue);
        })()
      }
    >
      <label for="new-title">Title</label>
      <input id="new-title" required maxLength={500} value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
      <label for="new-description">Description</label>
      <textarea
        id="new-description"
        rows={3}
        value={description}
        onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)}
      />
      <label for="new-severity">Severity</label>
      <select id="new-severity" value={severity} onChange={(e) => setSeverity((e.target as HTMLSelectElement).value as Severity)}>
        {SEVERITIES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <label for="new-category">Category</label>
      <input id="new-category" value={category} onInput={(e) => setCategory((e.target as HTMLInputElement).value)} />
      <div class="form-actions">
        <button type="submit" disabled={action.busy || !title.trim()}>
          Create issue
        </button>
      </div>
      <ErrorBanner error={action.error} />
    </form>
  );
}

import MarkdownIt from 'markdown-it';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, download, get } from '../api';
import { ErrorBanner, Section, useAction, useLoad } from '../components/common';
import { useCan } from '../me';
import { link } from '../router';
import type { DocumentFull, Integration, Publication } from '../types';
import { PublicationList } from './issue';

const SERVICES = ['confluence', 'servicenow', 'azuredevops'];
const LABELS: Record<string, string> = { confluence: 'Confluence', servicenow: 'ServiceNow', azuredevops: 'Azure DevOps' };

/** html: false escapes any HTML in the markdown; markdown-it's validateLink refuses javascript: and similar links. */
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

export function DocumentScreen({ id }: { id: string }) {
  const can = useCan();
  const doc = useLoad(() => get<DocumentFull>(`/v1/documents/${encodeURIComponent(id)}`), [id]);
  const [title, setTitle] = useState('');
  const [content, setContent] = useState('');
  const [saved, setSaved] = useState(true);
  const save = useAction();
  const [status, setStatus] = useState('');

  useEffect(() => {
    if (doc.data) {
      setTitle(doc.data.title);
      setContent(doc.data.content_md);
      setSaved(true);
    }
  }, [doc.data]);

  const preview = useMemo(() => markdown.render(content), [content]);

  if (!doc.data) {
    return (
      <>
        <h1>Document</h1>
        {doc.error ? <ErrorBanner error={doc.error} /> : <p aria-live="polite">Loading…</p>}
      </>
    );
  }
  const d = doc.data;
  return (
    <>
      <p class="crumbs">
        <a href={link('/')}>Issues</a> / <a href={link(`/issues/${d.issue_id}`)}>Issue</a> /
      </p>
      <div class="page-head">
        <h1>{d.title}</h1>
        <div class="card-actions">
          <button
            type="button"
            class="secondary"
            onClick={() => void save.run(() => download(`/v1/documents/${d.id}/export?format=md`, `${d.title}.md`))}
          >
            Export Markdown
          </button>
          <button
            type="button"
            class="secondary"
            onClick={() => void save.run(() => download(`/v1/documents/${d.id}/export?format=html`, `${d.title}.html`))}
          >
            Export HTML
          </button>
        </div>
      </div>
      <form
        class="editor"
        onSubmit={(e) =>
          void (async () => {
            e.preventDefault();
            const updated = await save.run(() => api<DocumentFull>('PATCH', `/v1/documents/${d.id}`, { title, content_md: content }));
            if (updated) {
              setSaved(true);
              setStatus('Saved.');
              doc.setData(updated);
            }
          })()
        }
      >
        <div class="editor-title">
          <label for="doc-title">Title</label>
          <input
            id="doc-title"
            value={title}
            readOnly={!can('write')}
            onInput={(e) => {
              setTitle((e.target as HTMLInputElement).value);
              setSaved(false);
              setStatus('');
            }}
          />
        </div>
        <div class="editor-panes">
          <div class="pane">
            <label for="doc-markdown">Markdown</label>
            <textarea
              id="doc-markdown"
              value={content}
              readOnly={!can('write')}
              spellcheck={false}
              onInput={(e) => {
                setContent((e.target as HTMLTextAreaElement).value);
                setSaved(false);
                setStatus('');
              }}
            />
          </div>
          <div class="pane">
            <h2 id="preview-heading" class="pane-label">
              Preview
            </h2>
            {/* markdown-it with html: false: the only HTML here is what it generates from escaped text. */}
            <article class="preview markdown" aria-labelledby="preview-heading" dangerouslySetInnerHTML={{ __html: preview }} />
          </div>
        </div>
        {can('write') && (
          <div class="form-actions">
            <button type="submit" disabled={save.busy || saved}>
              Save
            </button>
            <span aria-live="polite" class="muted">
              {saved ? status : 'Unsaved changes'}
            </span>
          </div>
        )}
        <ErrorBanner error={save.error} />
      </form>
      <PublishPanel documentId={d.id} unsaved={!saved} />
    </>
  );
}

function PublishPanel({ documentId, unsaved }: { documentId: string; unsaved: boolean }) {
  const can = useCan();
  const action = useAction();
  const [items, setItems] = useState<Publication[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [targets, setTargets] = useState<string[]>(SERVICES);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    // Admins see which targets are configured; other keys cannot read integrations and see all three.
    if (can('admin'))
      get<{ items: Integration[] }>('/v1/integrations').then(
        (r) => setTargets(r.items.filter((i) => i.configured).map((i) => i.service)),
        () => undefined,
      );
  }, []);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    get<{ items: Publication[] }>(`/v1/documents/${documentId}/publications`).then((r) => {
      setItems(r.items);
      setError(null);
      if (r.items.some((p) => p.state === 'queued')) timer = setTimeout(() => setTick((t) => t + 1), 1000);
    }, setError);
    return () => clearTimeout(timer);
  }, [documentId, tick]);

  const publish = async (service: string) => {
    const ok = await action.run(() => api('POST', `/v1/documents/${documentId}/publish`, { service }));
    if (ok !== undefined) setTick((t) => t + 1);
  };

  return (
    <Section title="Publish">
      {can('write') && (
        <div class="row-actions">
          {targets.length === 0 && <p class="muted">No publishing target is configured (Admin → Integrations).</p>}
          {targets.map((s) => (
            <button key={s} type="button" disabled={action.busy || unsaved} onClick={() => void publish(s)}>
              Publish to {LABELS[s] ?? s}
            </button>
          ))}
          {unsaved && <span class="muted">Save first: the saved version is what gets published.</span>}
        </div>
      )}
      <ErrorBanner error={action.error ?? error} />
      {items && <PublicationList items={items} />}
    </Section>
  );
}

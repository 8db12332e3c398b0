import { useEffect, useRef, useState } from 'preact/hooks';
import { api, get, subscribe } from '../api';
import { bytes, ErrorBanner, Section, useAction, useLoad, when } from '../components/common';
import { useCan } from '../me';
import { link, navigate } from '../router';
import type { Conversation, DocumentSummary, Issue, IssueDetail, IssueStatus, LogFile, LogStream, Publication, Severity } from '../types';
import { WhysEditor } from './whys';

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];
const STATUSES: IssueStatus[] = ['open', 'investigating', 'resolved', 'closed'];

export function IssueScreen({ id }: { id: string }) {
  const detail = useLoad(() => get<IssueDetail>(`/v1/issues/${encodeURIComponent(id)}`), [id]);
  if (detail.error && !detail.data) {
    return (
      <>
        <h1>Issue</h1>
        <ErrorBanner error={detail.error} />
        <p>
          <a href={link('/')}>Back to the issues</a>
        </p>
      </>
    );
  }
  if (!detail.data) return <p aria-live="polite">Loading…</p>;
  const issue = detail.data;
  const { log_files, resolution_steps, conversations } = issue;
  return (
    <>
      <p class="crumbs">
        <a href={link('/')}>Issues</a> /
      </p>
      <IssueHeader issue={issue} onChanged={detail.reload} />
      <LogFiles issueId={issue.id} files={log_files} onChanged={detail.reload} />
      {issue.log_streams.length > 0 && <LogStreams streams={issue.log_streams} />}
      <WhysEditor issueId={issue.id} steps={resolution_steps} onChanged={detail.reload} />
      <Documents issueId={issue.id} />
      <Publications issueId={issue.id} />
      <Conversations items={conversations} />
    </>
  );
}

function IssueHeader({ issue, onChanged }: { issue: Issue; onChanged: () => void }) {
  const can = useCan();
  const action = useAction();
  const patch = (body: Partial<Issue>) =>
    action.run(async () => {
      await api('PATCH', `/v1/issues/${issue.id}`, body);
      onChanged();
    });
  return (
    <div class="card">
      <h1>{issue.title}</h1>
      <div class="meta-row">
        {can('write') ? (
          <>
            <label for="issue-severity">Severity</label>
            <select
              id="issue-severity"
              value={issue.severity}
              onChange={(e) => void patch({ severity: (e.target as HTMLSelectElement).value as Severity })}
            >
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
            <label for="issue-status">Status</label>
            <select
              id="issue-status"
              value={issue.status}
              onChange={(e) => void patch({ status: (e.target as HTMLSelectElement).value as IssueStatus })}
            >
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </>
        ) : (
          <>
            <span class={`badge sev-${issue.severity}`}>{issue.severity}</span>
            <span class="badge">{issue.status}</span>
          </>
        )}
        {issue.category && <span class="muted">category {issue.category}</span>}
        <span class="muted">created {issue.created_at}</span>
        {issue.tags.map((t) => (
          <span key={t} class="badge">
            {t}
          </span>
        ))}
      </div>
      {issue.description && <p class="description">{issue.description}</p>}
      <ErrorBanner error={action.error} />
    </div>
  );
}

function LogFiles({ issueId, files, onChanged }: { issueId: string; files: LogFile[]; onChanged: () => void }) {
  const can = useCan();
  const action = useAction();
  const input = useRef<HTMLInputElement>(null);
  const upload = async (event: Event) => {
    event.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) return;
    const form = new FormData();
    form.append('file', file, file.name);
    const done = await action.run(() => api<LogFile>('POST', `/v1/issues/${issueId}/log-files`, form));
    if (done && input.current) input.current.value = '';
    if (done) onChanged();
  };
  return (
    <Section title="Log files">
      {files.length === 0 ? (
        <p class="muted">No log file yet.</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Size</th>
              <th scope="col">Uploaded</th>
              <th scope="col">Processing</th>
              <th scope="col">Redacted</th>
            </tr>
          </thead>
          <tbody>
            {files.map((f) => (
              <LogFileRow key={f.id} file={f} />
            ))}
          </tbody>
        </table>
      )}
      {can('write') && (
        <form class="upload" onSubmit={(e) => void upload(e)}>
          <label for="log-upload">Upload a log file</label>
          <input id="log-upload" type="file" ref={input} />
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Uploading…' : 'Upload'}
          </button>
        </form>
      )}
      <ErrorBanner error={action.error} />
    </Section>
  );
}

/** Shipped streams, only when a shipper has sent lines; a closed chunk's log file is listed above with the uploads. */
function LogStreams({ streams }: { streams: LogStream[] }) {
  return (
    <Section title="Shipped streams">
      <table class="table">
        <thead>
          <tr>
            {['Stream', 'Source', 'Chunk', 'State', 'Lines', 'Size', 'Opened'].map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {streams.flatMap((stream) =>
            stream.chunks.map((chunk) => (
              <tr key={chunk.id} data-testid={`log-chunk-${stream.name}-${chunk.seq}`}>
                <td>{stream.name}</td>
                <td>{stream.source}</td>
                <td>{chunk.seq}</td>
                <td>{chunk.state}</td>
                <td>{chunk.lines}</td>
                <td>{bytes(chunk.bytes)}</td>
                <td>{chunk.opened_at}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </Section>
  );
}

/** One file's row; while it is processing, progress arrives over SSE (GET /v1/log-files/:id/events). */
function LogFileRow({ file }: { file: LogFile }) {
  const [state, setState] = useState<LogFile | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stop = () => undefined as void;
    get<LogFile>(`/v1/log-files/${file.id}`).then((detail) => {
      setState(detail);
      if (detail.status === 'ready' || detail.status === 'failed') return;
      stop = subscribe(
        `/v1/log-files/${file.id}/events`,
        (type, data) => {
          if (type === 'progress') setState(data as LogFile);
        },
        (err) => {
          if (err) setError(err);
          void get<LogFile>(`/v1/log-files/${file.id}`).then(setState, setError);
        },
      );
    }, setError);
    return () => stop();
  }, [file.id]);
  const status = state?.status ?? 'pending';
  const progress = state?.progress ?? 0;
  return (
    <tr data-testid={`log-file-${file.file_name}`}>
      <td>{status === 'ready' ? <a href={link(`/log-files/${file.id}`)}>{file.file_name}</a> : file.file_name}</td>
      <td>{bytes(file.file_size)}</td>
      <td>{file.uploaded_at}</td>
      <td>
        <span class="status" data-status={status}>
          {status}
        </span>{' '}
        {status !== 'ready' && status !== 'failed' && (
          <progress max={100} value={progress} aria-label={`Processing ${file.file_name}`}>
            {progress}%
          </progress>
        )}
        {status === 'failed' && <span class="error-text">{state?.failure_reason}</span>}
        {status === 'ready' && state?.pii_counts && (
          <span class="muted"> {Object.values(state.pii_counts).reduce((a, b) => a + b, 0)} findings</span>
        )}
        <ErrorBanner error={error} />
      </td>
      <td>{state?.redacted || file.redacted ? 'yes' : 'no'}</td>
    </tr>
  );
}

function Documents({ issueId }: { issueId: string }) {
  const can = useCan();
  const list = useLoad(() => get<{ items: DocumentSummary[] }>(`/v1/issues/${issueId}/documents`), [issueId]);
  const action = useAction();
  const generate = async (doc_type: 'rca' | 'postmortem') => {
    const doc = await action.run(() => api<DocumentSummary>('POST', `/v1/issues/${issueId}/documents`, { doc_type }));
    if (doc) navigate(`/documents/${doc.id}`);
  };
  return (
    <Section
      title="Documents"
      actions={
        can('write') && (
          <>
            <button type="button" disabled={action.busy} onClick={() => void generate('rca')}>
              Generate RCA
            </button>
            <button type="button" class="secondary" disabled={action.busy} onClick={() => void generate('postmortem')}>
              Generate post-mortem
            </button>
          </>
        )
      }
    >
      <ErrorBanner error={list.error ?? action.error} />
      {list.data && list.data.items.length === 0 && <p class="muted">No document yet.</p>}
      <ul>
        {list.data?.items.map((d) => (
          <li key={d.id}>
            <a href={link(`/documents/${d.id}`)}>{d.title}</a> <span class="badge">{d.doc_type}</span>{' '}
            <span class="muted">updated {when(d.updated_at)}</span>
          </li>
        ))}
      </ul>
    </Section>
  );
}

/** The remote link comes from the remote service: only http(s) becomes a link, never javascript: or data:. */
export function PublicationList({ items }: { items: Publication[] }) {
  if (items.length === 0) return <p class="muted">Not published yet.</p>;
  return (
    <table class="table">
      <thead>
        <tr>
          <th scope="col">Target</th>
          <th scope="col">State</th>
          <th scope="col">Remote</th>
          <th scope="col">Updated</th>
        </tr>
      </thead>
      <tbody>
        {items.map((p) => (
          <tr key={p.id} data-testid={`publication-${p.service}`}>
            <td>{p.service}</td>
            <td>
              <span class="status" data-status={p.state}>
                {p.state}
              </span>
              {p.last_error && <span class="error-text"> {p.last_error}</span>}
              {p.pii_findings && p.pii_findings.length > 0 && (
                <span class="error-text">
                  {' '}
                  blocked by the PII gate: {p.pii_findings.map((f) => `${f.pii_type} ${f.masked}`).join(', ')}
                </span>
              )}
            </td>
            <td>
              {p.remote_url && /^https?:\/\//i.test(p.remote_url) ? (
                <a href={p.remote_url} rel="noopener noreferrer" target="_blank">
                  {p.remote_display_id ?? 'Open'}
                </a>
              ) : (
                (p.remote_display_id ?? '—')
              )}
            </td>
            <td>{when(p.updated_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Publications({ issueId }: { issueId: string }) {
  const list = useLoad(() => get<{ items: Publication[] }>(`/v1/issues/${issueId}/publications`), [issueId]);
  return (
    <Section title="Publications">
      <ErrorBanner error={list.error} />
      {list.data && <PublicationList items={list.data.items} />}
    </Section>
  );
}

function Conversations({ items }: { items: Conversation[] }) {
  return (
    <Section title="AI conversations">
      {items.length === 0 && <p class="muted">No conversation.</p>}
      {items.map((c) => (
        <ConversationView key={c.id} conversation={c} />
      ))}
    </Section>
  );
}

interface Message {
  id: string;
  role: string;
  content: string;
  created_at: string;
}

/** Read only: messages as stored (redacted by the API when they were written). */
function ConversationView({ conversation }: { conversation: Conversation }) {
  const [open, setOpen] = useState(false);
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const toggle = () => {
    setOpen(!open);
    if (!messages) get<{ messages: Message[] }>(`/v1/conversations/${conversation.id}`).then((d) => setMessages(d.messages), setError);
  };
  return (
    <div class="conversation">
      <button type="button" class="link" aria-expanded={open} onClick={toggle}>
        {/* eslint-disable-next-line @typescript-eslint/no-base-to-string -- the API's untyped fields, shown as text */}
        {String(conversation.title ?? 'Conversation')} · {String(conversation.model ?? '')} · {String(conversation.created_at ?? '')}
      </button>
      {open && (
        <ol class="messages">
          <ErrorBanner error={error} />
          {messages?.map((m) => (
            <li key={m.id} class={`message ${m.role}`}>
              <strong>{m.role}</strong> <span class="muted">{m.created_at}</span>
              <p>{m.content}</p>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, download, get, qs } from '../api';
import { bytes, ErrorBanner, useAction } from '../components/common';
import { useCan } from '../me';
import { link } from '../router';
import type { Decision, LogFile, PiiTotals, PiiValue } from '../types';
import type { SpanRef } from './log-viewer';
import { LineStore, LogViewer } from './log-viewer';

type DecisionInput = { value_id?: string; span_id?: string; decision: Decision | 'clear' };

/**
 * Log review (the redaction issue's review contract): lines with spans, distinct values by type with counts and
 * decisions, keep/redact per value or span, manual spans, a preview, apply, finalize.
 */
export function LogReviewScreen({ id, search }: { id: string; search: URLSearchParams }) {
  const can = useCan();
  const [file, setFile] = useState<LogFile | null>(null);
  const [fileError, setFileError] = useState<unknown>(null);
  const [reveal, setReveal] = useState(false);
  const [version, setVersion] = useState(0);
  const [viewError, setViewError] = useState<unknown>(null);
  const [selected, setSelected] = useState<SpanRef | null>(null);
  const [jump, setJump] = useState<{ line: number; seq: number } | null>(null);
  const [preview, setPreview] = useState(false);
  const [selection, setSelection] = useState('');
  const [announce, setAnnounce] = useState('');
  const action = useAction();
  const bump = () => setVersion((v) => v + 1);

  const loadFile = useCallback(() => get<LogFile>(`/v1/log-files/${encodeURIComponent(id)}`).then(setFile, setFileError), [id]);
  useEffect(() => {
    void loadFile();
  }, [loadFile]);

  // A decision changes spans: a new store per decision generation drops every cached chunk.
  const [generation, setGeneration] = useState(0);
  const [totals, setTotals] = useState<PiiTotals | null>(null);
  const [totalsError, setTotalsError] = useState<unknown>(null);
  useEffect(() => {
    get<PiiTotals>(`/v1/log-files/${encodeURIComponent(id)}/pii/totals`).then(setTotals, setTotalsError);
  }, [id, generation]);
  const liveStore = useMemo(() => new LineStore(id, reveal, bump, setViewError), [id, reveal, generation, file?.redaction?.version]);

  useEffect(() => {
    const line = Number(search.get('line'));
    if (line > 0) setJump({ line, seq: Date.now() });
  }, []);

  const finalized = Boolean(file?.redaction?.finalized_at);
  const writable = can('write') && !finalized;

  const decide = async (decisions: DecisionInput[]) => {
    const done = await action.run(() => api<{ updated: number }>('POST', `/v1/log-files/${id}/decisions`, { decisions }));
    if (done) {
      setAnnounce(`${done.updated} decision${done.updated === 1 ? '' : 's'} saved`);
      setGeneration((g) => g + 1);
      if (selected)
        setSelected({ ...selected, span: { ...selected.span, decision: decisions[0].decision === 'keep' ? 'keep' : 'redact' } });
    }
  };

  const jumpToLine = (line: number) => setJump({ line, seq: Date.now() });

  const step = async (direction: 1 | -1) => {
    const from = selected ? { line: selected.line, start: selected.span.start } : { line: Math.max(1, (jump?.line ?? 1) - 1), start: -1 };
    const found = await liveStore.findSpan(from, direction);
    if (found) {
      setSelected(found);
      jumpToLine(found.line);
      setAnnounce(`${found.span.type} on line ${found.line}, ${found.span.decision}`);
    } else setAnnounce(direction === 1 ? 'No further span' : 'No earlier span');
  };

  const onKey = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'n' || event.key === 'j') {
      event.preventDefault();
      void step(1);
    } else if (event.key === 'p') {
      event.preventDefault();
      void step(-1);
    } else if (event.key === 'r' && selected && writable) {
      event.preventDefault();
      void decide([{ span_id: selected.span.span_id, decision: 'redact' }]);
    } else if (event.key === 'k' && selected && writable && can('pii:reveal')) {
      event.preventDefault();
      void decide([{ span_id: selected.span.span_id, decision: 'keep' }]);
    }
  };

  if (!file) {
    return (
      <>
        <h1>Log review</h1>
        {fileError ? <ErrorBanner error={fileError} /> : <p aria-live="polite">Loading…</p>}
      </>
    );
  }

  const ready = file.status === undefined || file.status === 'ready';
  return (
    <>
      <p class="crumbs">
        <a href={link('/')}>Issues</a> / <a href={link(`/issues/${file.issue_id}`)}>Issue</a> /
      </p>
      <div class="page-head">
        <h1>Review {file.file_name}</h1>
        <span class="muted">{bytes(file.file_size)}</span>
        {file.redaction?.version ? <span class="badge">redacted v{file.redaction.version}</span> : null}
        {finalized && <span class="badge sev-low">finalized {file.redaction?.finalized_at}</span>}
      </div>
      {!ready && (
        <p>
          This file is still being processed ({file.status}, {file.progress ?? 0}%).{' '}
          <a href={link(`/issues/${file.issue_id}`)}>Watch its progress</a>.
        </p>
      )}
      <ErrorBanner error={viewError} onDismiss={() => setViewError(null)} />
      <ErrorBanner error={action.error} onDismiss={action.clear} />
      <p class="visually-hidden" aria-live="polite">
        {announce}
      </p>
      {ready && (
        <div class="review">
          <div class="review-main">
            <Toolbar
              store={liveStore}
              onJump={jumpToLine}
              preview={preview}
              setPreview={setPreview}
              reveal={reveal}
              setReveal={can('pii:reveal') ? setReveal : null}
              onStep={step}
            />
            {selection && writable && (
              <div class="selection-bar" role="status">
                <span>Selected “{selection.length > 60 ? `${selection.slice(0, 60)}…` : selection}”</span>
                <button
                  type="button"
                  onClick={() =>
                    void (async () => {
                      const made = await action.run(() =>
                        api<{ spans: unknown[] }>('POST', `/v1/log-files/${id}/manual-spans`, { literal: selection }),
                      );
                      if (made) {
                        setAnnounce(`Marked ${made.spans.length} occurrence${made.spans.length === 1 ? '' : 's'} for redaction`);
                        setSelection('');
                        setGeneration((g) => g + 1);
                      }
                    })()
                  }
                >
                  Add as manual span (every occurrence)
                </button>
                <button type="button" class="secondary" onClick={() => setSelection('')}>
                  Cancel
                </button>
              </div>
            )}
            <LogViewer
              store={liveStore}
              estimatedLines={Math.max(1, Math.ceil((file.file_size ?? 0) / 100))}
              jumpTo={jump}
              selected={selected}
              preview={preview}
              onSelectSpan={setSelected}
              onKey={onKey}
              onTextSelected={(text) => setSelection(text.trim())}
              version={version + generation}
            />
            {selected && (
              <div class="span-detail" role="region" aria-label="Selected span">
                <span>
                  <strong>{selected.span.type}</strong> on line {selected.line} · {selected.span.source} · currently{' '}
                  <strong data-testid="selected-decision">{selected.span.decision}</strong>
                </span>
                {writable && (
                  <>
                    <button type="button" onClick={() => void decide([{ span_id: selected.span.span_id, decision: 'redact' }])}>
                      Redact this span (r)
                    </button>
                    {can('pii:reveal') && (
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => void decide([{ span_id: selected.span.span_id, decision: 'keep' }])}
                      >
                        Keep this span (k)
                      </button>
                    )}
                    {selected.span.value_id && (
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => void decide([{ value_id: selected.span.value_id ?? undefined, decision: 'redact' }])}
                      >
                        Redact every occurrence of this value
                      </button>
                    )}
                  </>
                )}
              </div>
            )}
          </div>
          <aside class="review-side" aria-label="Values found">
            <ValuesPanel
              fileId={id}
              totals={totals}
              error={totalsError}
              reveal={reveal}
              writable={writable}
              canKeep={can('pii:reveal')}
              generation={generation}
              onDecide={decide}
              onJump={jumpToLine}
            />
            <ApplyPanel
              file={file}
              totals={totals}
              writable={writable}
              onChanged={() => {
                void loadFile();
                setGeneration((g) => g + 1);
              }}
            />
          </aside>
        </div>
      )}
    </>
  );
}

function Toolbar(props: {
  store: LineStore;
  onJump: (line: number) => void;
  preview: boolean;
  setPreview: (v: boolean) => void;
  reveal: boolean;
  setReveal: ((v: boolean) => void) | null;
  onStep: (d: 1 | -1) => Promise<void>;
}) {
  const [error, setError] = useState<unknown>(null);
  return (
    <div class="toolbar">
      <JumpForm id="jump-line" label="Line" min={1} onGo={props.onJump} onError={setError} />
      <JumpForm id="jump-byte" label="Byte" min={0} onGo={async (n) => props.onJump(await props.store.lineAtByte(n))} onError={setError} />
      <button type="button" class="secondary" onClick={() => void props.onStep(-1)}>
        Previous span (p)
      </button>
      <button type="button" class="secondary" onClick={() => void props.onStep(1)}>
        Next span (n)
      </button>
      <label class="check">
        <input type="checkbox" checked={props.preview} onChange={(e) => props.setPreview((e.target as HTMLInputElement).checked)} />
        Preview redacted output
      </label>
      {props.setReveal && (
        <label class="check">
          <input type="checkbox" checked={props.reveal} onChange={(e) => props.setReveal?.((e.target as HTMLInputElement).checked)} />
          Show original values (audited)
        </label>
      )}
      <ErrorBanner error={error} />
    </div>
  );
}

/** A number and Go: `onGo` jumps to it (a line, or the line that holds a byte); what it throws goes to `onError`. */
function JumpForm(props: {
  id: string;
  label: string;
  min: number;
  onGo: (n: number) => void | Promise<void>;
  onError: (err: unknown) => void;
}) {
  const [value, setValue] = useState('');
  return (
    <form
      onSubmit={(e) =>
        void (async () => {
          e.preventDefault();
          const n = Number(value);
          if (!(n >= props.min)) return;
          try {
            await props.onGo(n);
          } catch (err) {
            props.onError(err);
          }
        })()
      }
    >
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        min={props.min}
        inputMode="numeric"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
      />
      <button type="submit" class="secondary">
        Go
      </button>
    </form>
  );
}

/** What the values panel hands each of its type groups. */
interface ValueListProps {
  fileId: string;
  reveal: boolean;
  writable: boolean;
  canKeep: boolean;
  generation: number;
  onDecide: (d: DecisionInput[]) => Promise<void>;
  onJump: (line: number) => void;
}

/** Distinct values grouped by type, with counts and decisions; per value, per selection or per type. */
function ValuesPanel(props: ValueListProps & { totals: PiiTotals | null; error: unknown }) {
  const { totals, error } = props;
  return (
    <section aria-labelledby="values-heading" class="card">
      <h2 id="values-heading">Values found</h2>
      <ErrorBanner error={error} />
      {totals && (
        <p class="muted" data-testid="totals">
          {totals.values} distinct value{totals.values === 1 ? '' : 's'} in {totals.spans} span{totals.spans === 1 ? '' : 's'}
        </p>
      )}
      {totals?.totals.map((t) => (
        <TypeGroup key={t.type} {...props} type={t.type} spans={t.spans} values={t.values} kept={t.kept} />
      ))}
      {totals && totals.totals.length === 0 && <p>Nothing was found in this file.</p>}
    </section>
  );
}

function TypeGroup(props: ValueListProps & { type: string; spans: number; values: number; kept: number }) {
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<PiiValue[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const path = (after: string | null) =>
    `/v1/log-files/${props.fileId}/pii/values${qs({ type: props.type, cursor: after, limit: 100, reveal: props.reveal || undefined })}`;
  const load = async (after: string | null) => {
    try {
      const page = await get<{ items: PiiValue[]; next_cursor: string | null }>(path(after));
      setItems((prev) => (after ? [...prev, ...page.items] : page.items));
      setCursor(page.next_cursor);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    if (open) void load(null);
  }, [open, props.reveal, props.generation]);

  /** Every value of the type, across pages, for a decision on all of them. */
  const all = async (): Promise<string[]> => {
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const page: { items: PiiValue[]; next_cursor: string | null } = await get(path(after));
      ids.push(...page.items.map((v) => v.value_id));
      after = page.next_cursor;
    } while (after);
    return ids;
  };
  const bulk = async (decision: Decision, ids: string[]) => {
    if (ids.length) await props.onDecide(ids.map((value_id) => ({ value_id, decision })));
    setChosen(new Set());
  };
  const groupId = `type-${props.type.toLowerCase()}`;

  return (
    <div class="type-group" data-testid={groupId}>
      <button type="button" class="type-head" aria-expanded={open} aria-controls={`${groupId}-values`} onClick={() => setOpen(!open)}>
        <mark class={`span t-${props.type.toLowerCase()}`}>{props.type}</mark> {props.values} value{props.values === 1 ? '' : 's'},{' '}
        {props.spans} span{props.spans === 1 ? '' : 's'}
        {props.kept ? `, ${props.kept} kept` : ''}
      </button>
      {open && (
        <div id={`${groupId}-values`}>
          <ErrorBanner error={error} />
          {props.writable && (
            <div class="row-actions">
              <button type="button" class="secondary" onClick={() => void all().then((ids) => bulk('redact', ids), setError)}>
                Redact all {props.type}
              </button>
              {props.canKeep && (
                <button type="button" class="secondary" onClick={() => void all().then((ids) => bulk('keep', ids), setError)}>
                  Keep all {props.type}
                </button>
              )}
              {chosen.size > 0 && (
                <>
                  <button type="button" onClick={() => void bulk('redact', [...chosen])}>
                    Redact {chosen.size} selected
                  </button>
                  {props.canKeep && (
                    <button type="button" onClick={() => void bulk('keep', [...chosen])}>
                      Keep {chosen.size} selected
                    </button>
                  )}
                </>
              )}
            </div>
          )}
          <ul class="values">
            {items.map((v) => (
              <li key={v.value_id} class={`value d-${v.decision}`} data-testid="pii-value">
                {props.writable && (
                  <input
                    type="checkbox"
                    aria-label={`Select ${v.value ?? v.masked}`}
                    checked={chosen.has(v.value_id)}
                    onChange={(e) => {
                      const next = new Set(chosen);
                      if ((e.target as HTMLInputElement).checked) next.add(v.value_id);
                      else next.delete(v.value_id);
                      setChosen(next);
                    }}
                  />
                )}
                <code class="value-text">{v.value ?? v.masked}</code>
                <span class="muted">×{v.count}</span>
                <button
                  type="button"
                  class="link"
                  onClick={() => props.onJump(v.first_line)}
                  aria-label={`Go to line ${v.first_line}, first occurrence of ${v.masked}`}
                >
                  line {v.first_line}
                </button>
                <span class="decision" data-decision={v.decision}>
                  {v.decision}
                  {v.decided ? '' : ' (default)'}
                </span>
                {props.writable && (
                  <span class="value-actions">
                    <button
                      type="button"
                      class="small"
                      aria-pressed={v.decided && v.decision === 'redact'}
                      onClick={() => void props.onDecide([{ value_id: v.value_id, decision: 'redact' }])}
                      aria-label={`Redact ${v.masked}`}
                    >
                      Redact
                    </button>
                    {props.canKeep && (
                      <button
                        type="button"
                        class="small secondary"
                        aria-pressed={v.decision === 'keep'}
                        onClick={() => void props.onDecide([{ value_id: v.value_id, decision: 'keep' }])}
                        aria-label={`Keep ${v.masked}`}
                      >
                        Keep
                      </button>
                    )}
                    {v.decided && (
                      <button
                        type="button"
                        class="small link"
                        onClick={() => void props.onDecide([{ value_id: v.value_id, decision: 'clear' }])}
                        aria-label={`Undo the decision on ${v.masked}`}
                      >
                        Undo
                      </button>
                    )}
                  </span>
                )}
              </li>
            ))}
          </ul>
          {cursor && (
            <button type="button" class="secondary" onClick={() => void load(cursor)}>
              More values
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** Apply writes a new redacted version from the current decisions; finalize wipes the originals for good. */
function ApplyPanel({
  file,
  totals,
  writable,
  onChanged,
}: {
  file: LogFile;
  totals: PiiTotals | null;
  writable: boolean;
  onChanged: () => void;
}) {
  const action = useAction();
  const dialog = useRef<HTMLDialogElement>(null);
  const [understood, setUnderstood] = useState(false);
  const [status, setStatus] = useState('');
  const pending = file.redaction?.pending ?? false;

  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(onChanged, 1000);
    return () => clearTimeout(timer);
  }, [pending, file]);

  const apply = async () => {
    const accepted = await action.run(() => api<{ version?: number; status?: string }>('POST', `/v1/log-files/${file.id}/redactions`, {}));
    if (accepted) {
      setStatus('Applying the decisions…');
      onChanged();
    }
  };
  const finalize = async () => {
    const done = await action.run(() => api('POST', `/v1/log-files/${file.id}/finalize`, {}));
    dialog.current?.close();
    if (done !== undefined) onChanged();
  };
  const hasVersion = Boolean(file.redaction?.version) || file.redacted;
  return (
    <section aria-labelledby="apply-heading" class="card">
      <h2 id="apply-heading">Redacted output</h2>
      <p aria-live="polite" data-testid="redaction-state">
        {pending
          ? status || 'Applying the decisions…'
          : hasVersion
            ? `Version ${file.redaction?.version ?? 1} is ready.`
            : 'Not applied yet.'}
      </p>
      {totals && !file.redaction?.finalized_at && (
        <p class="muted" data-testid="apply-summary">
          Applying writes a copy with {totals.spans - totals.totals.reduce((n, t) => n + t.kept, 0)} span(s) redacted and{' '}
          {totals.totals.reduce((n, t) => n + t.kept, 0)} kept in clear.
        </p>
      )}
      <ErrorBanner error={action.error} onDismiss={action.clear} />
      <div class="row-actions">
        {writable && (
          <button type="button" disabled={action.busy || pending} onClick={() => void apply()}>
            Apply decisions
          </button>
        )}
        {hasVersion && !pending && (
          <button
            type="button"
            class="secondary"
            onClick={() =>
              void action.run(() => download(`/v1/log-files/${file.id}/content?variant=redacted`, `${file.file_name}.redacted`))
            }
          >
            Download redacted
          </button>
        )}
        {writable && hasVersion && !pending && (
          <button
            type="button"
            class="danger"
            onClick={() => {
              setUnderstood(false);
              dialog.current?.showModal();
            }}
          >
            Finalize…
          </button>
        )}
      </div>
      <dialog ref={dialog} aria-labelledby="finalize-heading">
        <h2 id="finalize-heading">Finalize {file.file_name}?</h2>
        <p>The original file and every original value are wiped. Decisions can no longer change; only the redacted version remains.</p>
        <label class="check">
          <input type="checkbox" checked={understood} onChange={(e) => setUnderstood((e.target as HTMLInputElement).checked)} />I understand
          this cannot be undone
        </label>
        <div class="row-actions">
          <button type="button" class="danger" disabled={!understood || action.busy} onClick={() => void finalize()}>
            Finalize
          </button>
          <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </section>
  );
}

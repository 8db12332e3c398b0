import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';

/** An error in words, with the API's code and request_id so an operator can find it in the logs. */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  return (
    <div class="error" role="alert">
      <p>
        <strong>{e ? `${e.message}.` : String((error as Error)?.message ?? error)}</strong>
      </p>
      {e && (
        <p class="error-meta">
          {e.code}
          {e.status ? ` (HTTP ${e.status})` : ''}
          {e.requestId ? (
            <>
              {' · request_id '}
              <code data-testid="request-id">{e.requestId}</code>
            </>
          ) : null}
        </p>
      )}
      {onDismiss && (
        <button type="button" class="link" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (value: T) => void;
}

/** Loads once per change of `deps`, with a reload for after a write. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
    // The caller's own dependency list, plus the reload counter.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}

/** Runs an action, keeping its error for the banner and a busy flag for the button. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  run: <T>(fn: () => Promise<T>) => Promise<T | undefined>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T,>(fn: () => Promise<T>) => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}

export function Section({
  title,
  children,
  actions,
  id,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
  id?: string;
}) {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-heading`;
  return (
    <section class="card" aria-labelledby={headingId}>
      <div class="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions && <div class="card-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

export const bytes = (n: number | null | undefined): string => {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
};

/** The API's times are ISO 8601 UTC; shown to the second. */
export const when = (at: string | null | undefined): string => (at ? new Date(at).toISOString().replace('T', ' ').slice(0, 19) : '—');

export function Chip({ label, pressed, onToggle, tone }: { label: string; pressed: boolean; onToggle: () => void; tone?: string }) {
  return (
    <button type="button" class={`chip ${tone ?? ''}`} aria-pressed={pressed} onClick={onToggle}>
      {label}
    </button>
  );
}

import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { get, qs } from '../api';
import type { Line, LineSpan, LinesPage } from '../types';

export const ROW_HEIGHT = 20;
export const CHUNK = 200;
/** Browsers cap an element's height (Chromium near 33 M px): past this, scrolling maps onto lines proportionally. */
const MAX_SCROLL_PX = 8_000_000;
const CACHE_CHUNKS = 60;

export interface SpanRef {
  line: number;
  span: LineSpan;
}

/**
 * Lines by chunks of CHUNK from GET /v1/log-files/:id/lines, cached (LRU) so a 1 GiB file is never loaded whole.
 * `generation` changes when decisions change, which drops every cached chunk.
 */
export class LineStore {
  private chunks = new Map<number, Line[]>();
  private pending = new Map<number, Promise<Line[]>>();
  totalLines: number | null = null;
  bytesPerLine = 100;

  constructor(
    private readonly fileId: string,
    private readonly reveal: boolean,
    private readonly onLoaded: () => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  line(number: number): Line | undefined {
    const chunk = this.chunks.get(Math.floor((number - 1) / CHUNK));
    return chunk?.[(number - 1) % CHUNK];
  }

  async chunk(index: number): Promise<Line[]> {
    const cached = this.chunks.get(index);
    if (cached) {
      this.chunks.delete(index);
      this.chunks.set(index, cached);
      return cached;
    }
    const inFlight = this.pending.get(index);
    if (inFlight) return inFlight;
    const promise = get<LinesPage>(
      `/v1/log-files/${this.fileId}/lines${qs({ from: index * CHUNK + 1, count: CHUNK, reveal: this.reveal || undefined })}`,
    ).then((page) => {
      this.pending.delete(index);
      this.chunks.set(index, page.lines);
      if (this.chunks.size > CACHE_CHUNKS) this.chunks.delete(this.chunks.keys().next().value as number);
      if (page.total_lines !== null) this.totalLines = page.total_lines;
      else if (page.lines.length < CHUNK) this.totalLines = index * CHUNK + page.lines.length;
      const last = page.lines[page.lines.length - 1];
      if (last && last.number > 0) this.bytesPerLine = Math.max(1, last.byte_end / last.number);
      this.onLoaded();
      return page.lines;
    });
    promise.catch((err: unknown) => {
      this.pending.delete(index);
      this.onError(err);
    });
    this.pending.set(index, promise);
    return promise;
  }

  ensure(from: number, to: number): void {
    for (let c = Math.floor((Math.max(1, from) - 1) / CHUNK); c <= Math.floor((Math.max(1, to) - 1) / CHUNK); c += 1) {
      if (!this.chunks.has(c) && !this.pending.has(c)) void this.chunk(c).catch(() => undefined);
    }
  }

  /** The line holding byte `offset`: estimate from bytes per line, then correct on the chunks it fetches. */
  async lineAtByte(offset: number): Promise<number> {
    let guess = Math.max(1, Math.floor(offset / this.bytesPerLine) + 1);
    for (let i = 0; i < 12; i += 1) {
      const index = Math.floor((guess - 1) / CHUNK);
      const lines = await this.chunk(index);
      if (lines.length === 0) {
        guess = Math.max(1, index * CHUNK - CHUNK);
        continue;
      }
      const first = lines[0];
      const last = lines[lines.length - 1];
      if (offset < first.byte_start) guess = Math.max(1, first.number - Math.ceil((first.byte_start - offset) / this.bytesPerLine) - 1);
      else if (offset >= last.byte_end && lines.length === CHUNK)
        guess = last.number + Math.ceil((offset - last.byte_end) / this.bytesPerLine) + 1;
      else return (lines.find((l) => offset < l.byte_end) ?? last).number;
    }
    return guess;
  }

  /** The next (or previous) span after `from`, looking through up to `maxChunks` chunks. */
  async findSpan(from: { line: number; start: number }, direction: 1 | -1, maxChunks = 25): Promise<SpanRef | null> {
    let index = Math.floor((from.line - 1) / CHUNK);
    for (let n = 0; n < maxChunks && index >= 0; n += 1, index += direction) {
      const lines = await this.chunk(index);
      if (lines.length === 0) return null;
      const ordered = direction === 1 ? lines : [...lines].reverse();
      for (const line of ordered) {
        const spans = direction === 1 ? line.spans : [...line.spans].reverse();
        for (const span of spans) {
          const after = line.number > from.line || (line.number === from.line && span.start > from.start);
          const before = line.number < from.line || (line.number === from.line && span.start < from.start);
          if (direction === 1 ? after : before) return { line: line.number, span };
        }
      }
      if (this.totalLines !== null && direction === 1 && (index + 1) * CHUNK >= this.totalLines) return null;
    }
    return null;
  }
}

export interface ViewerProps {
  store: LineStore;
  estimatedLines: number;
  jumpTo: { line: number; seq: number } | null;
  selected: SpanRef | null;
  preview: boolean;
  onSelectSpan: (ref: SpanRef) => void;
  onKey: (event: KeyboardEvent) => void;
  onTextSelected: (text: string) => void;
  version: number;
}

/** The virtualized line viewer: renders only the rows in view, over a spacer as tall as the file. */
export function LogViewer(props: ViewerProps) {
  const { store, estimatedLines, jumpTo, selected, preview } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);

  const total = Math.max(1, store.totalLines ?? estimatedLines);
  const natural = total * ROW_HEIGHT;
  const virtual = Math.min(natural, MAX_SCROLL_PX);
  const visibleRows = Math.ceil(height / ROW_HEIGHT) + 1;
  const maxFirst = Math.max(0, total - visibleRows + 1);
  const scrollable = Math.max(1, virtual - height);
  // Exact (fractional) index of the first visible line, 0-based.
  const firstExact = natural <= MAX_SCROLL_PX ? scrollTop / ROW_HEIGHT : (scrollTop / scrollable) * maxFirst;
  const first = Math.min(Math.floor(firstExact), maxFirst);
  const offset = scrollTop - (firstExact - first) * ROW_HEIGHT;

  useEffect(() => {
    store.ensure(first + 1, first + visibleRows + 1);
  }, [store, first, visibleRows, props.version]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const scrollToLine = useCallback(
    (line: number) => {
      const el = scroller.current;
      if (!el) return;
      const index = Math.max(0, line - 1 - Math.floor(visibleRows / 3));
      el.scrollTop = natural <= MAX_SCROLL_PX ? index * ROW_HEIGHT : (Math.min(index, maxFirst) / Math.max(1, maxFirst)) * scrollable;
      setScrollTop(el.scrollTop);
    },
    [natural, maxFirst, scrollable, visibleRows],
  );

  useEffect(() => {
    if (jumpTo) scrollToLine(jumpTo.line);
  }, [jumpTo?.seq]);

  const rows = [];
  for (let i = first; i < Math.min(total, first + visibleRows); i += 1) {
    const number = i + 1;
    const line = store.line(number);
    rows.push(
      <div class={`log-row${preview ? ' with-preview' : ''}`} key={number} data-line={number}>
        <span class="ln">{number}</span>
        {line ? (
          <>
            <span class="lt">{segments(line, selected, props.onSelectSpan, false)}</span>
            {preview && <span class="lt after">{segments(line, selected, props.onSelectSpan, true)}</span>}
          </>
        ) : (
          <span class="lt muted">…</span>
        )}
      </div>,
    );
  }

  return (
    <div
      class="viewer"
      ref={scroller}
      tabIndex={0}
      role="region"
      aria-label="Log lines. Keys: n next span, p previous span, k keep, r redact."
      onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
      onKeyDown={props.onKey}
      onMouseUp={() => {
        const text = getSelection()?.toString() ?? '';
        props.onTextSelected(text.includes('\n') ? '' : text);
      }}
    >
      <div class="viewer-spacer" style={{ height: `${virtual}px` }}>
        <div class="viewer-window" style={{ transform: `translateY(${offset}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}

/** The line's text cut at its spans; in the preview, redacted spans become their type's placeholder. */
function segments(line: Line, selected: SpanRef | null, onSelect: (ref: SpanRef) => void, after: boolean) {
  const parts = [];
  let at = 0;
  const spans = [...line.spans].sort((a, b) => a.start - b.start);
  for (const span of spans) {
    if (span.start < at) continue;
    if (span.start > at) parts.push(line.text.slice(at, span.start));
    const isSelected = selected?.span.span_id === span.span_id;
    const label = after && span.decision === 'redact' ? `[${span.type}]` : line.text.slice(span.start, span.end);
    parts.push(
      <mark
        key={`${span.span_id}-${after ? 'a' : 'b'}`}
        class={`span t-${span.type.toLowerCase()} d-${span.decision}${isSelected ? ' selected' : ''}${span.source === 'manual' ? ' manual' : ''}`}
        data-span-id={span.span_id}
        data-decision={span.decision}
        title={`${span.type} · ${span.decision}${span.source === 'manual' ? ' · manual' : ''}`}
        onClick={() => onSelect({ line: line.number, span })}
      >
        {label}
      </mark>,
    );
    at = span.end;
  }
  if (at < line.text.length) parts.push(line.text.slice(at));
  return parts;
}

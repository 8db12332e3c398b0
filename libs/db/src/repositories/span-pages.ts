/** How the span repositories read many spans: in file order a page at a time, and summed up by type. */

export interface RedactableSummary {
  count: number;
  countsByType: Record<string, number>;
  /** The largest end_offset; 0 when there are no spans. */
  maxEnd: number;
}

/**
 * Every span `page` returns, in file order: each call asks for the spans after the last one's (start_offset, id),
 * so no statement stays open across the caller's awaits, whatever the file's size.
 */
export function* inFileOrder<T extends { start_offset: number; id: string }>(
  page: (after: [number, string] | undefined) => T[],
  pageSize: number,
): Generator<T> {
  let after: [number, string] | undefined;
  for (;;) {
    const rows = page(after);
    yield* rows;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1];
    after = [last.start_offset, last.id];
  }
}

/** A row of `SELECT pii_type, count(*) AS n, max(end_offset) AS max_end … GROUP BY pii_type`. */
export interface TypeCountRow {
  pii_type: string;
  n: number;
  max_end: number;
}

export function summariseByType(rows: TypeCountRow[]): RedactableSummary {
  return {
    count: rows.reduce((sum, r) => sum + r.n, 0),
    countsByType: Object.fromEntries(rows.map((r) => [r.pii_type, r.n])),
    maxEnd: rows.reduce((max, r) => Math.max(max, r.max_end), 0),
  };
}

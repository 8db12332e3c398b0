import type { IssueStatus, Severity } from '@tftsr/db';
import { CorruptRowError } from './import-errors';

/**
 * How desktop values become ours (README, "Importing from the desktop app"). The desktop UI writes P1-P4 and
 * `triaging`; its docs and tests use our words. Nothing was validated there, so anything else is reported.
 */
const SEVERITIES: Record<string, Severity> = {
  p1: 'critical',
  p2: 'high',
  p3: 'medium',
  p4: 'low',
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
};

const STATUSES: Record<string, IssueStatus> = {
  open: 'open',
  triaging: 'investigating',
  investigating: 'investigating',
  resolved: 'resolved',
  closed: 'closed',
};

export interface Mapped<T> {
  value: T;
  /** Set when the desktop value was not one the app writes: the fallback was used. */
  unknown?: string;
}

export function mapSeverity(raw: unknown): Mapped<Severity> {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the import's JSON value as text, whatever it is
  const key = String(raw ?? '')
    .trim()
    .toLowerCase();
  const value = SEVERITIES[key];
  return value ? { value } : { value: 'medium', unknown: String(raw) };
}

export function mapStatus(raw: unknown): Mapped<IssueStatus> {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the import's JSON value as text, whatever it is
  const key = String(raw ?? '')
    .trim()
    .toLowerCase();
  const value = STATUSES[key];
  return value ? { value } : { value: 'open', unknown: String(raw) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are kept (the app's are UUIDv7), lower-cased so a rerun finds them; anything else is a corrupt row. */
export function keepId(raw: unknown, what: string): string {
  if (typeof raw !== 'string' || !UUID.test(raw))
    throw new CorruptRowError(`${what} has an id that is not a UUID (${JSON.stringify(raw)})`);
  return raw.toLowerCase();
}

const DESKTOP_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?(?: ?(?:UTC|Z|\+00:?00))?$/;

/**
 * The app's `%Y-%m-%d %H:%M:%S` (UTC, no zone), and the timeline's same with a literal " UTC" (§2.4), to the
 * seed's TEXT timestamp. Also accepts the ISO form with T and Z, which some rows written by hand carry.
 */
export function parseDesktopTime(raw: unknown, what: string): string {
  const match = typeof raw === 'string' ? DESKTOP_TIME.exec(raw.trim()) : null;
  if (!match || Number.isNaN(Date.parse(`${match[1]}T${match[2]}Z`)))
    throw new CorruptRowError(`${what} has a timestamp that cannot be read (${JSON.stringify(raw)})`);
  return `${match[1]} ${match[2]}`;
}

/** `documents` keeps epoch milliseconds in both apps; a text timestamp is converted. */
export function parseDesktopMillis(raw: unknown, what: string): number {
  if (typeof raw === 'number' && Number.isFinite(raw)) return Math.trunc(raw);
  if (typeof raw === 'bigint') return Number(raw);
  return Date.parse(`${parseDesktopTime(raw, what).replace(' ', 'T')}Z`);
}

export function requireText(raw: unknown, what: string): string {
  if (typeof raw !== 'string')
    throw new CorruptRowError(`${what} is ${raw === null || raw === undefined ? 'missing' : `not text (${typeof raw})`}`);
  return raw;
}

/** '' (the app's default for "none") becomes NULL, as our API writes it. */
export function optionalText(raw: unknown): string | null {
  return typeof raw === 'string' && raw.length > 0 ? raw : null;
}

/** A JSON array of strings, or '[]' when the desktop row holds something else. */
export function tagsJson(raw: unknown): string {
  try {
    const parsed = JSON.parse(typeof raw === 'string' ? raw : '[]') as unknown;
    if (Array.isArray(parsed) && parsed.every((t) => typeof t === 'string')) return JSON.stringify(parsed);
  } catch {
    // Falls through to the empty list.
  }
  return '[]';
}

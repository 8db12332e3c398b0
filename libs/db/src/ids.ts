import { v7 as uuidv7 } from 'uuid';

/** All primary keys are UUID v7, as the seed says: time-sortable, so rows index in insertion order. */
export function newId(): string {
  return uuidv7();
}

/** The seed's TEXT timestamp, `YYYY-MM-DD HH:MM:SS` in UTC (the format of SQLite's datetime('now')). */
export function toDbTimestamp(date: Date = new Date()): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** `documents` keeps INTEGER milliseconds since the epoch, as the seed says. */
export function toDbMillis(date: Date = new Date()): number {
  return date.getTime();
}

import { CliError } from '../cli-io';

/** A problem with the desktop database as a whole (missing, locked, wrong key, truncated, too new): nothing is imported. */
export class DesktopImportError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'DesktopImportError';
  }
}

/** SQLite found damaged pages while reading: the issue being read is skipped, the others still come in. */
export class CorruptFileError extends DesktopImportError {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptFileError';
  }
}

/** A desktop row this importer cannot take as it is: its issue is skipped whole, and the summary says why. */
export class CorruptRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptRowError';
  }
}

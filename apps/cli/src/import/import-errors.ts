import { CliError } from '../cli-io';

/** A problem with the desktop database as a whole (missing, locked, wrong key, truncated, too new): nothing is imported. */
export class DesktopImportError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'DesktopImportError';
  }
}

/** A desktop row this importer cannot take as it is: its issue is skipped whole, and the summary says why. */
export class CorruptRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptRowError';
  }
}

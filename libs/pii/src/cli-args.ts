import type { Exit } from '@tftsr/cli';
import { Command, InvalidArgumentError, exitingAction } from '@tftsr/cli';
import { PII_TYPE_ORDER, type PiiType, isPiiType } from './pii-types';

export interface CliArgs {
  command: 'scan' | 'redact';
  file: string;
  output?: string;
  json: boolean;
  reveal: boolean;
  types?: PiiType[];
  allow: string[];
}

/** `pii scan` and `pii redact`, whose actions hand their parsed arguments to `run`. */
export function piiCommand(run: (args: CliArgs) => Promise<number>, exit: Exit): Command {
  const pii = new Command('pii').description('find or redact PII in a local file (runs locally; needs no database)');
  withFilters(
    pii
      .command('scan')
      .description('list the PII spans of FILE with byte offsets; a summary by type goes to stderr')
      .argument('<file>', 'the log file (plain or gzip), or - for standard input')
      .option('--json', 'one JSON object per span: pii_type, start, end, replacement (byte offsets, end exclusive)')
      .option('--reveal', 'include the original value (otherwise the table shows a masked value and JSON omits it)'),
  ).action(
    exitingAction(exit, (file: string, o: { json?: boolean; reveal?: boolean; types?: PiiType[]; allow?: string[] }) =>
      run({ command: 'scan', file, json: o.json === true, reveal: o.reveal === true, types: o.types, allow: o.allow ?? [] }),
    ),
  );
  withFilters(
    pii
      .command('redact')
      .description('write a copy of FILE with every PII span replaced by its placeholder')
      .argument('<file>', 'the log file (plain or gzip); read twice, so not standard input', notStdin)
      .requiredOption('-o, --output <out>', 'where to write the redacted copy (plain text)'),
  ).action(
    exitingAction(exit, (file: string, o: { output: string; types?: PiiType[]; allow?: string[] }) =>
      run({ command: 'redact', file, output: o.output, json: false, reveal: false, types: o.types, allow: o.allow ?? [] }),
    ),
  );
  return pii.addHelpText('after', '\nExit codes: 0 done, 1 the file could not be read or written, 2 bad arguments.');
}

function withFilters(command: Command): Command {
  return command
    .option('--types <list>', `comma-separated types to detect (default: all): ${PII_TYPE_ORDER.join(', ')}`, parseTypes)
    .option('--allow <value>', 'a value never to flag; repeat for more', (v: string, all: string[] = []) => [...all, v]);
}

function notStdin(file: string): string {
  if (file === '-')
    throw new InvalidArgumentError('redact reads FILE twice (spans first, then the copy): give a file, not - (standard input)');
  return file;
}

function parseTypes(list: string): PiiType[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !isPiiType(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown type(s): ${unknown.join(', ') || '(none given)'}; known: ${PII_TYPE_ORDER.join(', ')}`);
  }
  return names as PiiType[];
}

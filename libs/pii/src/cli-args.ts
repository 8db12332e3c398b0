import { PII_TYPE_ORDER, type PiiType, isPiiType } from './pii-types';

export const USAGE = `usage:
  tftsr pii scan FILE [--json] [--reveal] [--types a,b] [--allow VALUE]...
  tftsr pii redact FILE -o OUT [--types a,b] [--allow VALUE]...

  --json     one JSON object per span: pii_type, start, end, replacement (byte offsets, end exclusive)
  --reveal   include the original value (otherwise the table shows a masked value and JSON omits it)
  --types    comma-separated types to detect (default: all): ${PII_TYPE_ORDER.join(', ')}
  --allow    a value never to flag; repeat for more
  -o, --output OUT   where redact writes the redacted copy

exit codes: 0 done, 1 file could not be read or written, 2 bad arguments`;

export class UsageError extends Error {}

export interface CliArgs {
  command: 'scan' | 'redact' | 'help';
  file: string;
  output?: string;
  json: boolean;
  reveal: boolean;
  types?: PiiType[];
  allow: string[];
}

/** Parses `scan|redact FILE [flags]`; a leading "pii" is accepted so the lead can pass argv either way. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const args = argv[0] === 'pii' ? argv.slice(1) : [...argv];
  const command = args.shift();
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    return { command: 'help', file: '', json: false, reveal: false, allow: [] };
  }
  if (command !== 'scan' && command !== 'redact') throw new UsageError(`unknown command "${command}"`);
  const parsed: CliArgs = { command, file: '', json: false, reveal: false, allow: [] };
  const files: string[] = [];
  while (args.length > 0) {
    const arg = args.shift() as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq > 0 ? arg.slice(eq + 1) : args.shift();
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--json' || flag === '--reveal') {
      if (eq > 0) throw new UsageError(`${flag} takes no value`);
      parsed[flag === '--json' ? 'json' : 'reveal'] = true;
    } else if (flag === '--types') parsed.types = parseTypes(value());
    else if (flag === '--allow') parsed.allow.push(value());
    else if (flag === '-o' || flag === '--output') parsed.output = value();
    else if (flag === '--help' || flag === '-h') return { ...parsed, command: 'help' };
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown flag "${arg}"`);
    else files.push(arg);
  }
  if (files.length !== 1) throw new UsageError(files.length === 0 ? 'missing FILE' : `expected one FILE, got ${files.length}`);
  parsed.file = files[0];
  if (parsed.command === 'redact' && parsed.output === undefined) throw new UsageError('redact needs -o OUT');
  if (parsed.command === 'scan' && parsed.output !== undefined) throw new UsageError('-o is only for redact');
  if (parsed.command === 'redact' && (parsed.json || parsed.reveal)) throw new UsageError('--json and --reveal are only for scan');
  return parsed;
}

function parseTypes(list: string): PiiType[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !isPiiType(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(`unknown type(s) in --types: ${unknown.join(', ') || '(none given)'}; known: ${PII_TYPE_ORDER.join(', ')}`);
  }
  return names as PiiType[];
}

import { isPlaceholder } from '../validators';
import { type Detector, type Hit, hit, scanLiterals } from './detector';

/** How far after an option its value is read. */
const COMMAND_MAX = 1024;

type Family = 'mysql' | 'sshpass' | 'redis';

/**
 * Commands whose password option takes its value without a key=value form: `mysql -pSECRET` (glued; `-p 'x'`
 * when quoted, since a bare word after `-p` is mysql's database name), `sshpass -p x` and `redis-cli -a x`.
 * `--password=x` and `--password x` are the key-value detector's.
 */
const COMMANDS: readonly [string, Family][] = [
  ['mysql', 'mysql'],
  ['mariadb', 'mysql'],
  ['sshpass', 'sshpass'],
  ['redis-cli', 'redis'],
];

/** Shell words that end a command: `;`, `|`, `&`, `)` and a backtick. */
function endsCommand(c: number): boolean {
  return c === 59 || c === 124 || c === 38 || c === 41 || c === 96;
}

interface Token {
  start: number;
  end: number;
  /** The word without its quotes. */
  valueStart: number;
  valueEnd: number;
}

/** The shell word at `i` (after blanks), or null at the end of the line or command. */
function tokenAt(text: string, i: number, max: number): Token | null {
  while (i < max && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  const c = text.charCodeAt(i);
  if (i >= max || !(c > 32) || endsCommand(c)) return null;
  const start = i;
  const valueStart = i;
  // A quote may open the word or follow a glued option: -p'S3cr3t'.
  const glued = c === 45 && (text.charCodeAt(i + 2) === 39 || text.charCodeAt(i + 2) === 34) ? 2 : 0;
  const q = text.charCodeAt(i + glued);
  if (q === 39 || q === 34) {
    const close = text.slice(0, max).indexOf(String.fromCharCode(q), i + glued + 1);
    if (close < 0 || text.slice(i, close).includes('\n')) return null;
    return { start, end: close + 1, valueStart: i + glued + 1, valueEnd: close };
  }
  while (i < max && text.charCodeAt(i) > 32 && !endsCommand(text.charCodeAt(i))) i++;
  return { start, end: i, valueStart, valueEnd: i };
}

function passwordOf(text: string, t: Token, from: number): boolean {
  const v = text.slice(from, t.valueEnd);
  return v.length > 0 && !isPlaceholder(v);
}

/** How far before an option its command word may be. */
const COMMAND_BACK = 256;
const COMMAND_WORD_RE = /(?:^|[\s/(])(mysql[\w.-]*|mariadb[\w.-]*|sshpass|redis-cli)[ \t]/g;

/** The family of the command whose option is at `at`: the last command word before it on the line, or null. */
function familyBefore(text: string, at: number): Family | null {
  let lineStart = at;
  while (lineStart > at - COMMAND_BACK && lineStart > 0 && text.charCodeAt(lineStart - 1) !== 10) lineStart--;
  const line = text.slice(lineStart, at);
  let family: Family | null = null;
  let end = 0;
  COMMAND_WORD_RE.lastIndex = 0;
  for (let m = COMMAND_WORD_RE.exec(line); m !== null; m = COMMAND_WORD_RE.exec(line)) {
    const word = m[1];
    family = COMMANDS.find(([w]) => word.startsWith(w))?.[1] ?? null;
    end = m.index + m[0].length;
  }
  // A `;`, `|`, `&`, `)` or backtick after the command word ends its command.
  for (let i = end; family !== null && i < line.length; i++) if (endsCommand(line.charCodeAt(i))) return null;
  return family;
}

/** The option at `at` (`-p…` or `-a`) when it belongs to one of COMMANDS: its hit's end, or -1. */
function optionAt(text: string, at: number, out: Hit[]): number {
  const before = text.charCodeAt(at - 1);
  if (before !== 32 && before !== 9) return -1;
  const flag = text.charCodeAt(at + 1);
  const family = familyBefore(text, at);
  if (family === null || (flag === 97) !== (family === 'redis')) return -1;
  const max = Math.min(text.length, at + COMMAND_MAX);
  const t = tokenAt(text, at, max);
  if (t === null) return -1;
  if (t.end - t.start > 2) {
    // Glued: -pSECRET or -p'SECRET' (redis-cli has no glued form).
    const from = t.valueStart === t.start ? t.start + 2 : t.valueStart;
    if (family === 'redis' || text.charCodeAt(t.start + 2) === 45 || !passwordOf(text, t, from)) return -1;
    out.push(hit('Password', t.start, t.end, from, t.valueEnd));
    return t.end;
  }
  const next = tokenAt(text, t.end, max);
  if (next === null) return -1;
  const quoted = next.valueStart > next.start;
  if ((family === 'mysql' && !quoted) || text.charCodeAt(next.valueStart) === 45 || !passwordOf(text, next, next.valueStart)) return -1;
  out.push(hit('Password', t.start, next.end, next.valueStart, next.valueEnd));
  return next.end;
}

/**
 * Passwords given to command-line tools as option arguments. Found from the option ("-" is rarer in logs than
 * the first letters of the command names), then the command word is looked for before it on the same line.
 */
export const cliPasswordDetector: Detector = {
  name: 'cli-password',
  types: ['Password'],
  maxSpan: COMMAND_MAX + 64,
  maxBack: 0,
  scan(text, from, limit, out) {
    return scanLiterals(['-p', '-a'], text, from, limit, (at) => {
      const end = optionAt(text, at, out);
      return end < 0 ? at + 2 : end;
    });
  },
};

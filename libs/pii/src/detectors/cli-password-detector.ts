import { isPlaceholder } from '../validators';
import { type Detector, type Hit, hit, isAlnum, scanLiterals } from './detector';

/** How far after the command word its options are read: one command line. */
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
const LITERALS = COMMANDS.map(([word]) => word);

function isCommandChar(c: number): boolean {
  return isAlnum(c) || c === 45 || c === 95 || c === 46;
}

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
  let start = i;
  let valueStart = i;
  // A quote may open the word or follow a glued option: -p'S3cr3t'.
  const glued = c === 45 && (text.charCodeAt(i + 2) === 39 || text.charCodeAt(i + 2) === 34) ? 2 : 0;
  const q = text.charCodeAt(i + glued);
  if (q === 39 || q === 34) {
    const close = text.indexOf(String.fromCharCode(q), i + glued + 1);
    const nl = text.indexOf('\n', i);
    if (close < 0 || close >= max || (nl >= 0 && nl < close)) return null;
    return { start, end: close + 1, valueStart: i + glued + 1, valueEnd: close };
  }
  while (i < max && text.charCodeAt(i) > 32 && !endsCommand(text.charCodeAt(i))) i++;
  return { start, end: i, valueStart, valueEnd: i };
}

function passwordOf(text: string, t: Token, from: number): boolean {
  const v = text.slice(from, t.valueEnd);
  return v.length > 0 && !isPlaceholder(v);
}

function commandAt(text: string, at: number, family: Family, out: Hit[]): number {
  let i = at;
  while (isCommandChar(text.charCodeAt(i))) i++;
  const max = Math.min(text.length, i + COMMAND_MAX);
  let resume = i;
  for (let t = tokenAt(text, i, max); t !== null; t = tokenAt(text, t.end, max)) {
    const word = text.slice(t.start, Math.min(t.end, t.start + 2));
    const flag = family === 'redis' ? '-a' : '-p';
    if (word !== flag) continue;
    if (t.end - t.start > 2) {
      // Glued: -pSECRET or -p'SECRET' (redis-cli has no glued form).
      const from = t.valueStart === t.start ? t.start + 2 : t.valueStart;
      if (family === 'redis' || text.charCodeAt(t.start + 2) === 45 || !passwordOf(text, t, from)) continue;
      out.push(hit('Password', t.start, t.end, from, t.valueEnd));
      resume = t.end;
      continue;
    }
    const next = tokenAt(text, t.end, max);
    if (next === null) break;
    const quoted = next.valueStart > next.start;
    if ((family === 'mysql' && !quoted) || text.charCodeAt(next.valueStart) === 45 || !passwordOf(text, next, next.valueStart)) continue;
    out.push(hit('Password', t.start, next.end, next.valueStart, next.valueEnd));
    resume = next.end;
    t = next;
  }
  return resume;
}

/** Passwords given to command-line tools as option arguments, read from the command word onwards. */
export const cliPasswordDetector: Detector = {
  name: 'cli-password',
  types: ['Password'],
  maxSpan: COMMAND_MAX + 64,
  maxBack: 0,
  scan(text, from, limit, out) {
    return scanLiterals(LITERALS, text, from, limit, (at, literal) =>
      isCommandChar(text.charCodeAt(at - 1)) ? at + 1 : commandAt(text, at, COMMANDS[literal][1], out),
    );
  },
};

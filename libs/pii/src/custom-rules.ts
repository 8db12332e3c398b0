import type { RE2JS } from 're2js';
import { type Detector, type Hit, TYPE_INDEX } from './detectors/detector';

/** A user's detection rule: what to find (RE2 syntax) and what to write in its place. */
export interface CustomRule {
  name: string;
  pattern: string;
  /** Defaults to `[name]`. */
  replacement?: string;
}

export class CustomRuleError extends Error {}

/**
 * `programSize` bounds the compiled program: matching is linear in input × program, and re2js's NFA costs about
 * 5 ms per MiB per instruction on an adversarial line, so [a-z]{1000}[0-9]{1000} (2,002) would take seconds per
 * MiB. 100 covers tokens like acme-[a-f0-9]{32} (39) with room to spare.
 */
export const CUSTOM_RULE_LIMITS = { rules: 100, nameLength: 64, patternLength: 1000, replacementLength: 128, programSize: 100 } as const;
const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]*$/;
/** Custom matches are short tokens; the look-ahead a window keeps past its end bounds them anyway. */
export const CUSTOM_MAX_SPAN = 4096;

let loaded: typeof RE2JS | undefined;

/** re2js, loaded by the first custom rule: a scan without any (`tftsr pii scan`) does not pay its load. */
function re2js(): typeof RE2JS {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  loaded ??= (require('re2js') as { RE2JS: typeof RE2JS }).RE2JS;
  return loaded;
}

/**
 * Compiles a pattern with re2js: a linear-time engine (no backtracking), so no pattern can make a scan take
 * more than time proportional to pattern × input. Patterns that can match the empty string are refused: they
 * would match everywhere and hide nothing.
 */
export function compileCustomPattern(pattern: string): RE2JS {
  const Re2 = re2js();
  let re: RE2JS;
  try {
    re = Re2.compile(pattern, Re2.MULTILINE);
  } catch (err) {
    throw new CustomRuleError(`pattern ${JSON.stringify(pattern)} is not valid RE2 syntax: ${(err as Error).message}`);
  }
  if (re.matches('')) throw new CustomRuleError(`pattern ${JSON.stringify(pattern)} matches the empty string`);
  if (re.programSize() > CUSTOM_RULE_LIMITS.programSize) {
    throw new CustomRuleError(
      `pattern ${JSON.stringify(pattern)} is too complex (${re.programSize()} instructions, at most ${CUSTOM_RULE_LIMITS.programSize}): use smaller repeat counts`,
    );
  }
  return re;
}

/** Checks a settings value and returns it normalised (replacement filled in); throws CustomRuleError. */
export function parseCustomRules(value: unknown): Required<CustomRule>[] {
  const L = CUSTOM_RULE_LIMITS;
  if (!Array.isArray(value)) throw new CustomRuleError('must be an array of {name, pattern, replacement}');
  if (value.length > L.rules) throw new CustomRuleError(`must hold at most ${L.rules} rules`);
  const names = new Set<string>();
  return value.map((item: unknown, i) => {
    const at = `rule ${i}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new CustomRuleError(`${at} must be an object`);
    const { name, pattern, replacement, ...rest } = item as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new CustomRuleError(`${at} has unknown field(s) ${Object.keys(rest).join(', ')}`);
    if (typeof name !== 'string' || name.length > L.nameLength || !NAME_RE.test(name)) {
      throw new CustomRuleError(`${at}: name must be 1 to ${L.nameLength} letters, digits, ".", "_" or "-", starting with a letter`);
    }
    if (names.has(name)) throw new CustomRuleError(`${at}: name ${name} is used twice`);
    names.add(name);
    if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > L.patternLength) {
      throw new CustomRuleError(`${at}: pattern must be a string of 1 to ${L.patternLength} characters`);
    }
    compileCustomPattern(pattern);
    if (replacement !== undefined && (typeof replacement !== 'string' || replacement.length > L.replacementLength)) {
      throw new CustomRuleError(`${at}: replacement must be a string of at most ${L.replacementLength} characters`);
    }
    return { name, pattern, replacement: replacement ?? `[${name}]` };
  });
}

/**
 * One window's latin1 text as bytes, shared by every rule's pass over it, plus one NUL byte: while more input
 * follows the window (limit < text length), the matcher gets the NUL too, so "$" and "\b" do not match at the
 * window's edge as if the input ended there.
 */
let cached: { text: string; bytes: Buffer } | null = null;
function bytesOf(text: string, limit: number): Buffer {
  if (cached === null || cached.text !== text) {
    const bytes = Buffer.allocUnsafe(text.length + 1);
    bytes.write(text, 0, 'latin1');
    bytes[text.length] = 0;
    cached = { text, bytes };
  }
  return limit < text.length ? cached.bytes : cached.bytes.subarray(0, text.length);
}

/**
 * A pass for one rule. The matcher runs over the window's bytes, so offsets are byte offsets and a pattern
 * written in UTF-8 matches UTF-8 text. A match stops at a line break, like every built-in detector but
 * PrivateKey (the parallel scan splits files at line breaks), and the search resumes there.
 */
export function customRuleDetector(rule: Required<CustomRule>, index: number): Detector {
  const re = compileCustomPattern(rule.pattern);
  return {
    name: `custom:${rule.name}`,
    types: ['Custom'],
    maxSpan: CUSTOM_MAX_SPAN,
    maxBack: 0,
    scan(text, from, limit, out: Hit[]) {
      const bytes = bytesOf(text, limit);
      // The lazy DFA answers "any match at all?" in one cheap pass; only then does the NFA find where. One byte
      // before `from` keeps \b and ^ right at the start; a match it lets in there is only a false alarm.
      if (!re.test(bytes.subarray(Math.max(0, from - 1)))) return limit;
      const m = re.matcher(bytes);
      let pos = from;
      while (pos < limit && m.find(pos)) {
        const start = m.start();
        if (start >= limit) return start;
        let end = Math.min(m.end(), text.length);
        const nl = text.indexOf('\n', start);
        if (nl >= 0 && nl < end) end = nl;
        if (end <= start) {
          pos = start + 1;
          continue;
        }
        out.push({ type: TYPE_INDEX.Custom, start, end, valueStart: start, valueEnd: end, rule: index });
        pos = end;
      }
      return Math.max(pos, limit);
    },
  };
}

import { type Detector, type Hit, hit, isAlnum, isDigit, matchAt, scanAnchors } from './detector';

/**
 * The keywords that make a date a date of birth: dob / d.o.b., birth (date of birth, birthdate, birth_date,
 * dateOfBirth, birthday) and born. A date alone is a timestamp; next to one of these it identifies a person.
 */
const KEYWORD_RE = /[Dd]\.?[Oo]\.?[Bb]|[Bb](?:irth|IRTH|orn|ORN)/g;
/** Between the keyword and the date: the rest of the key, quotes (JSON-escaped too), a separator, "is" or "on". */
const GAP_RE = /[A-Za-z_.-]{0,6}(?:\\?["'])?[ \t]*(?:[:=]>?|(?:is|was|on)[ \t])?[ \t]*(?:\\?["'])?/y;
const MONTHS = 'jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec';
const MONTH_WORD = `(${MONTHS})[a-z]{0,6}\\.?`;
// Numeric: 1984-03-12, 1984/3/12, 12.03.1984, 03/12/84; worded: 3 March 1984, 3rd Mar 1984, March 3, 1984, 12-Mar-1984.
const DATE_RE = new RegExp(
  [
    `(\\d{4})([-/.])(\\d{1,2})\\2(\\d{1,2})`,
    `(\\d{1,2})([-/.])(\\d{1,2})\\6(\\d{4}|\\d{2})`,
    `(\\d{1,2})(?:st|nd|rd|th)?[ -]${MONTH_WORD},?[ -](\\d{4})`,
    `${MONTH_WORD}[ ](\\d{1,2})(?:st|nd|rd|th)?,?[ ](\\d{4})`,
  ].join('|'),
  'iy',
);
const DATE_MAX = 32;

function dayMonth(day: number, month: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

function year4(y: string): boolean {
  const n = Number(y);
  return y.length === 2 || (n >= 1880 && n <= 2099);
}

function monthIndex(word: string): number {
  return MONTHS.split('|').indexOf(word.slice(0, 3).toLowerCase()) + 1;
}

/** A real calendar day in a plausible year, reading d/m and m/d both ways. */
function dateValid(m: RegExpExecArray): boolean {
  if (m[1] !== undefined) return year4(m[1]) && dayMonth(Number(m[4]), Number(m[3]));
  if (m[5] !== undefined) {
    const a = Number(m[5]);
    const b = Number(m[7]);
    return year4(m[8]) && (dayMonth(a, b) || dayMonth(b, a));
  }
  if (m[9] !== undefined) return year4(m[11]) && dayMonth(Number(m[9]), monthIndex(m[10]));
  return year4(m[14]) && dayMonth(Number(m[13]), monthIndex(m[12]));
}

function birthDateAt(text: string, at: number, word: string, out: Hit[]): number {
  const end = at + word.length;
  const before = text.charCodeAt(at - 1);
  const first = word.charCodeAt(0);
  // A word of its own, or the capitalised part of a camelCase key (dateOfBirth, patientDob): not adobe, stubborn.
  if (isAlnum(before) && !(first >= 65 && first <= 90 && !(before >= 65 && before <= 90))) return end;
  const isDob = (first | 32) === 100;
  if (isDob && isAlnum(text.charCodeAt(end)) && !(text.charCodeAt(end) >= 65 && text.charCodeAt(end) <= 90)) return end;
  const gap = matchAt(GAP_RE, text, end);
  const d = end + (gap === null ? 0 : gap[0].length);
  const m = isDigit(text.charCodeAt(d)) || isAlnum(text.charCodeAt(d)) ? matchAt(DATE_RE, text, d) : null;
  if (m === null || !dateValid(m)) return end;
  const dateEnd = d + m[0].length;
  if (isAlnum(text.charCodeAt(dateEnd)) || (isDigit(text.charCodeAt(dateEnd + 1)) && text.charCodeAt(dateEnd) === 46)) return end;
  out.push(hit('DateOfBirth', d, dateEnd));
  return dateEnd;
}

/** Dates of birth: a date in a common format right after a birth keyword. Only the date is reported. */
export const birthDateDetector: Detector = {
  name: 'birth-date',
  types: ['DateOfBirth'],
  maxSpan: 64 + DATE_MAX,
  maxBack: 0,
  scan(text, from, limit, out) {
    return scanAnchors(KEYWORD_RE, text, from, limit, (m) => birthDateAt(text, m.index, m[0], out));
  },
};

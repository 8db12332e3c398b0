import fc from 'fast-check';
import Database from 'better-sqlite3-multiple-ciphers';
import { DomainError } from '../common/domain-error';
import { MAX_SEARCH_TERMS, snippetToHtml, toFtsQuery } from './fts-query';

describe('toFtsQuery', () => {
  it.each([
    ['disk full', '"disk" "full"'],
    ['time*', '"time"*'],
    ['a"b', '"a""b"'],
    ['text:secret', '"text:secret"'],
    ['NEAR(a b)', '"NEAR(a" "b)"'],
    ['x OR y', '"x" "OR" "y"'],
    ['* lone', '"lone"'],
    ['nul\u0000byte', '"nul" "byte"'],
  ])('quotes %j as %s', (input, expected) => {
    expect(toFtsQuery(input)).toBe(expected);
  });

  it.each(['', '   ', '*', '** *'])('refuses %j, which has no term', (input) => {
    expect(() => toFtsQuery(input)).toThrow(DomainError);
  });

  it(`refuses more than ${MAX_SEARCH_TERMS} terms`, () => {
    expect(() => toFtsQuery(Array.from({ length: MAX_SEARCH_TERMS + 1 }, (_, n) => `t${n}`).join(' '))).toThrow(/more than/);
  });

  it('produces only expressions FTS5 accepts, for any input (property)', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE VIRTUAL TABLE t USING fts5(title, description); INSERT INTO t VALUES ('hello world', 'multi-agent text:secret');`);
    const search = db.prepare('SELECT count(*) AS n FROM t WHERE t MATCH ?');
    const syntax = fc.constantFrom('"', 'NEAR(', 'col:term', 'title:x', 'OR', 'AND', 'NOT', '*', '^', '-', '(', ')', '\u0000', '{a b}:c');
    const input = fc.oneof(
      fc.array(fc.oneof(syntax, fc.string()), { maxLength: 10 }).map((p) => p.join(' ')),
      fc.array(fc.oneof(syntax, fc.string({ maxLength: 4 })), { maxLength: 10 }).map((p) => p.join('')),
      fc.string({ unit: 'binary', maxLength: 300 }),
    );
    fc.assert(
      fc.property(input, (q) => {
        let expression: string;
        try {
          expression = toFtsQuery(q);
        } catch (err) {
          expect(err).toBeInstanceOf(DomainError);
          return;
        }
        expect(() => search.get(expression)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    db.close();
  });
});

describe('snippetToHtml', () => {
  it('escapes the text and marks the matches', () => {
    expect(snippetToHtml('a <b> \uE000c\uE001 & "d"', '\uE000', '\uE001')).toBe('a &#60;b&#62; <mark>c</mark> &#38; &#34;d&#34;');
  });
});

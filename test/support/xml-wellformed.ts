import { SaxesParser } from 'saxes';

/**
 * The first XML 1.0 well-formedness error of a storage-format body, or null. saxes is a conforming parser: it
 * checks the Char production (control characters, U+FFFE, lone surrogates), which fast-xml-parser's
 * XMLValidator does not. The body is wrapped in one root, as Confluence does with storage-format fragments.
 */
export function xmlProblem(fragment: string): string | null {
  const parser = new SaxesParser();
  let problem: string | null = null;
  parser.on('error', (err) => {
    problem ??= err.message;
  });
  try {
    parser.write(`<storage>${fragment}</storage>`).close();
  } catch (err) {
    problem ??= (err as Error).message;
  }
  return problem;
}

import fc from 'fast-check';
import { xmlProblem } from '@tftsr/test-support/xml-wellformed';
import { withMarker } from './publishers/marker';
import { cleanText, FORBIDDEN_CHAR_MARKER, htmlPage, markdownToHtml, markdownToText } from './render';

describe('markdownToHtml', () => {
  it('renders the document structure: headings, tables, lists, emphasis', () => {
    const html = markdownToHtml('# RCA\n\n| Field | Value |\n|---|---|\n| Severity | high |\n\n- one\n- **two**\n');
    expect(html).toContain('<h1>RCA</h1>');
    expect(html).toMatch(/<table>[\s\S]*<th>Field<\/th>[\s\S]*<td>high<\/td>[\s\S]*<\/table>/);
    expect(html).toContain('<li><strong>two</strong></li>');
  });

  it('self-closes void elements, as Confluence storage format (XHTML) requires', () => {
    expect(markdownToHtml('a  \nb\n\n---\n')).toMatch(/<br \/>[\s\S]*<hr \/>/);
  });

  it.each([
    ['a script tag', '<script>alert(1)</script>', /<script/i],
    ['an event handler', '<img src=x onerror=alert(1)>', /<img/i],
    ['a javascript: link', '[x](javascript:alert(1))', /href="javascript/i],
    ['a data: link', '[x](data:text/html;base64,PHNjcmlwdD4=)', /href="data/i],
    ['an iframe', '<iframe src="https://evil.example"></iframe>', /<iframe/i],
  ])('never lets %s through', (_name, md, forbidden) => {
    expect(markdownToHtml(md)).not.toMatch(forbidden);
  });

  it('keeps http(s) links', () => {
    expect(markdownToHtml('[runbook](https://wiki.example.com/runbook)')).toContain(
      '<a href="https://wiki.example.com/runbook">runbook</a>',
    );
  });
});

describe('htmlPage', () => {
  it('escapes the title and forbids scripts with a content security policy', () => {
    const page = htmlPage('<script>x</script>', 'body');
    expect(page).not.toContain('<script>x');
    expect(page).toContain("default-src 'none'");
  });
});

describe('storage format (XML 1.0) safety', () => {
  const ESC = '\u001b';

  it('strips ANSI colour codes, cursor moves and OSC hyperlinks from pasted terminal output', () => {
    const log = `${ESC}[31mERROR${ESC}[0m disk full ${ESC}[2K${ESC}]8;;https://x.example${ESC}\\link${ESC}]8;;${ESC}\\`;
    expect(cleanText(log)).toBe('ERROR disk full link');
  });

  it.each([
    ['a form feed', 'page\fbreak'],
    ['a backspace', 'typo\bo'],
    ['a bell', 'ding\u0007'],
    ['a NUL', 'nul\u0000'],
    ['U+FFFE', 'bom\ufffe'],
    ['U+FFFF', 'max\uffff'],
    ['a lone high surrogate', 'half\ud83d'],
    ['a lone low surrogate', '\ude00half'],
  ])('replaces %s with a visible marker', (_name, text) => {
    const cleaned = cleanText(text);
    expect(cleaned).toContain(FORBIDDEN_CHAR_MARKER);
    expect(xmlProblem(markdownToHtml(text))).toBeNull();
  });

  it('keeps tabs, newlines, carriage returns and astral characters (surrogate pairs)', () => {
    expect(cleanText('a\tb\r\nc 😀')).toBe('a\tb\r\nc 😀');
  });

  it('does not let a numeric entity smuggle a forbidden character in', () => {
    const html = markdownToHtml('bell &#7; esc &#x1b; nonchar &#xFFFE; and `&#27;` in code');
    expect(xmlProblem(html)).toBeNull();
  });

  it('turns arbitrary text into a well-formed storage body (property)', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));
    const fragment = fc.oneof(
      fc.string({ unit: codeUnit }),
      fc.string({ unit: 'binary' }),
      fc.constantFrom(
        '\u001b[31m',
        '\u001b]8;;',
        '&#27;',
        '&#xFFFE;',
        '&copy;',
        '<b>',
        '![img](https://x.example/a.png)',
        '| a | b |\n|---|---|\n| 1 | 2 |\n',
        '```\n',
        '\f',
        '\ud800',
        '\udfff',
      ),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 12 }), fc.uuid(), (parts, id) => {
        const storage = withMarker(markdownToHtml(parts.join('')), id);
        expect(xmlProblem(storage)).toBeNull();
      }),
      { numRuns: 400 },
    );
  });
});

describe('images', () => {
  it('become links, never an <img> or its literal text', () => {
    const html = markdownToHtml('See ![the graph](https://grafana.example.com/p99.png "p99").');
    expect(html).toContain('<a href="https://grafana.example.com/p99.png">the graph</a>');
    expect(html).not.toMatch(/img/i);
  });
});

describe('markdownToText (plain-text fields)', () => {
  const md = [
    '# RCA &copy; 2026',
    '',
    'Some *text* with [a link](https://x.example) and ![graph](https://g.example/a.png).',
    '',
    '| Field | Value |',
    '|---|---|',
    '| Severity | high |',
    '| Owner &amp; team | ops |',
    '',
    '- one',
    '- two',
    '',
    '1. first',
    '2. second',
    '',
    '> quoted',
    '',
    '```',
    'code | here',
    '```',
  ].join('\n');

  it('renders tables as aligned columns, decodes entities, and leaves no markup', () => {
    expect(markdownToText(md)).toBe(
      [
        'RCA © 2026',
        '',
        'Some text with a link (https://x.example) and graph (https://g.example/a.png).',
        '',
        'Field         Value',
        '------------  -----',
        'Severity      high',
        'Owner & team  ops',
        '',
        '- one',
        '- two',
        '',
        '1. first',
        '2. second',
        '',
        '> quoted',
        '',
        '    code | here',
      ].join('\n'),
    );
  });

  it('strips ANSI escapes and forbidden characters there too', () => {
    expect(markdownToText('\u001b[1mbold\u001b[0m\f')).toBe(`bold${FORBIDDEN_CHAR_MARKER}`);
  });
});

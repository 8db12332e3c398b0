import { htmlPage, markdownToHtml } from './render';

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
    expect(markdownToHtml('[runbook](https://wiki.example.com/runbook)')).toContain('<a href="https://wiki.example.com/runbook">runbook</a>');
  });
});

describe('htmlPage', () => {
  it('escapes the title and forbids scripts with a content security policy', () => {
    const page = htmlPage('<script>x</script>', 'body');
    expect(page).not.toContain('<script>x');
    expect(page).toContain("default-src 'none'");
  });
});

import * as protobuf from 'protobufjs';
import { ErrorCode } from '../common/domain-error';
import { chunkFileName } from './log-chunk-closer.service';
import { parseBulk, parseLabelString, parseLokiJson, parseLokiProtobuf, splitLines, textChunkLines, toChunkBytes } from './shipper-bodies';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy = require('snappyjs') as { compress(data: Buffer): Buffer };

describe('shipper bodies', () => {
  it('splits text into lines, dropping one trailing newline and CRs', () => {
    expect(splitLines('a\r\nb\n\nc\n')).toEqual(['a', 'b', '', 'c']);
    expect(splitLines('')).toEqual([]);
  });

  it('keeps one entry on one line, counting UTF-8 bytes', () => {
    const sut = toChunkBytes(['é', 'multi\nline']);
    expect(sut.toString('utf8')).toBe('é\nmulti\\nline\n');
    expect(sut.length).toBe(3 + 12);
  });

  it('takes a text body as the same chunk bytes whether or not it is already whole lines', () => {
    const bodies = ['{"a":1}\n{"b":"é"}\n', '\n\nx\n', 'no newline at the end', 'a\r\nb\n', 'mid\rline\n', '', '\n'].map((t) =>
      Buffer.from(t, 'utf8'),
    );
    bodies.push(Buffer.from([0x61, 0xff, 0xfe, 0x0a])); // not UTF-8: replaced, as toString would
    for (const body of bodies) {
      const lines = splitLines(body.toString('utf8'));
      const sut = textChunkLines(body);
      expect({ data: sut.data.toString('hex'), lines: sut.lines }).toEqual({
        data: toChunkBytes(lines).toString('hex'),
        lines: lines.length,
      });
    }
    const whole = Buffer.from('one\ntwo\n');
    expect(textChunkLines(whole).data).toBe(whole);
  });

  it('reads Loki label strings, escapes included, and refuses malformed ones', () => {
    expect(parseLabelString('{app="web", tftsr_issue="i-1", msg="say \\"hi\\""}')).toEqual({
      app: 'web',
      tftsr_issue: 'i-1',
      msg: 'say "hi"',
    });
    expect(parseLabelString('{}')).toEqual({});
    expect(() => parseLabelString('{app=web}')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_INGEST_BODY }));
  });

  it('names a Loki stream by its labels without tftsr_issue, sorted', () => {
    const [sut] = parseLokiJson(
      Buffer.from(
        JSON.stringify({
          streams: [
            {
              stream: { z: '1', tftsr_issue: 'i-1', a: '2' },
              values: [
                ['1', 'x'],
                ['2', 'y', {}],
              ],
            },
          ],
        }),
      ),
    );
    expect(sut).toEqual({ stream: '{a="2", z="1"}', issueId: 'i-1', lines: ['x', 'y'] });
  });

  it('decodes a snappy protobuf push, and refuses one past the size limit before inflating it', () => {
    const root = protobuf.parse(
      `syntax = "proto3"; message P { repeated S streams = 1; } message S { string labels = 1; repeated E entries = 2; } message E { string line = 2; }`,
    ).root;
    const P = root.lookupType('P');
    const raw = Buffer.from(
      P.encode(P.create({ streams: [{ labels: '{job="a", tftsr_issue="i-2"}', entries: [{ line: 'one' }, { line: 'two' }] }] })).finish(),
    );
    const body = Buffer.from(snappy.compress(raw));
    expect(parseLokiProtobuf(body, 1024)).toEqual([{ stream: '{job="a"}', issueId: 'i-2', lines: ['one', 'two'] }]);
    expect(() => parseLokiProtobuf(body, 8)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_INGEST_BODY }));
    expect(() => parseLokiProtobuf(Buffer.from('not snappy'), 1024)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_INGEST_BODY }),
    );
  });

  it('reads _bulk actions with the URL index as default, and marks update and delete as refused items', () => {
    const body = [
      '{"index":{}}',
      '{"m":1}',
      '{"create":{"_index":"tftsr-x","_id":"7"}}',
      '{"m":2}',
      '{"delete":{"_id":"1"}}',
      '{"update":{"_id":"2"}}',
      '{"doc":{}}',
      '',
    ].join('\n');
    const sut = parseBulk(Buffer.from(body), 'tftsr-y');
    expect(sut.map((i) => [i.op, i.index, i.id, i.doc, i.error?.status])).toEqual([
      ['index', 'tftsr-y', undefined, '{"m":1}', undefined],
      ['create', 'tftsr-x', '7', '{"m":2}', undefined],
      ['delete', 'tftsr-y', '1', undefined, 400],
      ['update', 'tftsr-y', '2', '{"doc":{}}', 400],
    ]);
    expect(() => parseBulk(Buffer.from('{"index":{}}\n'), undefined)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_INGEST_BODY }),
    );
    expect(() => parseBulk(Buffer.from('{"index":{}}\nnot json\n'), undefined)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_INGEST_BODY }),
    );
  });

  it('makes safe file names for chunks', () => {
    expect(chunkFileName('{app="web", env="prod"}', 3)).toBe('app_web_env_prod_-000003.log');
    expect(chunkFileName('../..', 1)).toBe('stream-000001.log');
  });
});

import { ValidationPipe } from '@nestjs/common';
import type { ArgumentMetadata } from '@nestjs/common';
import { ApiValidationPipe } from './api-validation.pipe';
import { IdParams } from './validation';

/** What a promise settled to: the value, or the refusal's class and answer, so that two pipes can be compared. */
async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    const value = await run();
    return { value, type: (value as object | null)?.constructor?.name };
  } catch (err) {
    return { refused: (err as Error).constructor.name, response: (err as { getResponse?: () => unknown }).getResponse?.() };
  }
}

describe('ApiValidationPipe', () => {
  const sut = new ApiValidationPipe();
  const full = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  const param: ArgumentMetadata = { type: 'param', metatype: IdParams, data: undefined };

  it.each([
    ['a UUID', { id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' }],
    ['the longest id', { id: 'x'.repeat(128) }],
    ['an id one too long', { id: 'x'.repeat(129) }],
    ['an empty id', { id: '' }],
    ['an id of two surrogate pairs', { id: '😀😀' }],
    ['a lone variation selector (class-validator counts it as nothing)', { id: '\uFE0F' }],
    ['a second parameter', { id: 'a', other: 'b' }],
    ['no id', {}],
    ['a number', { id: 7 }],
  ])('answers %s exactly as the full ValidationPipe does', async (_what, value) => {
    const ours = await outcome(() => sut.transform({ ...value }, param));
    expect(ours).toEqual(await outcome(() => full.transform({ ...value }, param)));
  });

  it("hands the route an IdParams for a plain id, and refuses one too long with class-validator's message", async () => {
    const id = await sut.transform({ id: 'issue-1' }, param);
    expect(id).toBeInstanceOf(IdParams);
    expect(id).toEqual({ id: 'issue-1' });
    expect(await outcome(() => sut.transform({ id: 'x'.repeat(129) }, param))).toMatchObject({
      refused: 'BadRequestException',
      response: { message: ['id must be shorter than or equal to 128 characters'] },
    });
  });
});

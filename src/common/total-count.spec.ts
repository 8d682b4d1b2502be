import { FastifyReply } from 'fastify';
import { cappedTotal, countLimit, TOTAL_COUNT_CAP, withTotalCount } from './total-count';

function fakeReply(): { reply: FastifyReply; headers: Record<string, unknown> } {
  const headers: Record<string, unknown> = {};
  const reply = {
    header: (name: string, value: unknown) => ((headers[name] = value), reply),
  } as unknown as FastifyReply;
  return { reply, headers };
}

describe('capped total counts', () => {
  it('counts from the page start up to the cap, one row more telling that there are more', () => {
    expect(countLimit(0)).toBe(TOTAL_COUNT_CAP);
    expect(countLimit(2500)).toBe(2500 + TOTAL_COUNT_CAP);
    expect(cappedTotal(TOTAL_COUNT_CAP, 0)).toEqual({ total: TOTAL_COUNT_CAP, capped: false });
    expect(cappedTotal(TOTAL_COUNT_CAP + 1, 0)).toEqual({ total: TOTAL_COUNT_CAP, capped: true });
    expect(cappedTotal(TOTAL_COUNT_CAP + 1, 1)).toEqual({ total: TOTAL_COUNT_CAP + 1, capped: false });
  });

  it('sets X-Total-Count-Capped only for capped listings', () => {
    const capped = fakeReply();
    expect(withTotalCount(capped.reply, { items: ['a'], total: 7, capped: false })).toEqual(['a']);
    expect(capped.headers).toEqual({ 'X-Total-Count': 7, 'X-Total-Count-Capped': 'false' });
    const exact = fakeReply();
    withTotalCount(exact.reply, { items: [], total: 0 });
    expect(exact.headers).toEqual({ 'X-Total-Count': 0 });
  });
});

import { BatchedPruner } from './batched-pruner';

/** A table of `rows` rows whose batches delete up to `limit` of them, recording each batch's limit. */
function table(rows: number) {
  const batches: number[] = [];
  let left = rows;
  const deleteBatch = (limit: number) => {
    batches.push(limit);
    const deleted = Math.min(left, limit);
    left -= deleted;
    return Promise.resolve(deleted);
  };
  return { batches, deleteBatch, left: () => left };
}

describe('BatchedPruner', () => {
  it('deletes batch after batch until a short one, and says how many rows went', async () => {
    const rows = table(5);
    expect(await new BatchedPruner('Test', 'Test').deleteInBatches(rows.deleteBatch, 2)).toBe(5);
    expect(rows.batches).toEqual([2, 2, 2]);
  });

  it('ends with an empty batch when the last full batch happened to take the last row', async () => {
    const rows = table(4);
    expect(await new BatchedPruner('Test', 'Test').deleteInBatches(rows.deleteBatch, 2)).toBe(4);
    expect(rows.batches).toEqual([2, 2, 2]);
  });

  it('stops after the current batch once stopped', async () => {
    const pruner = new BatchedPruner('Test', 'Test');
    const rows = table(10);
    const stopAfterFirst = (limit: number) => {
      pruner.stop();
      return rows.deleteBatch(limit);
    };
    expect(await pruner.deleteInBatches(stopAfterFirst, 2)).toBe(2);
    expect(rows.left()).toBe(8);
  });

  it('runs a pass at start, and survives a failed one', async () => {
    const pruner = new BatchedPruner('Test', 'Test');
    const pass = jest.fn().mockRejectedValue(new Error('database away'));
    pruner.start(pass, 60_000);
    pruner.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pass).toHaveBeenCalledTimes(1);
  });
});

import { nestsDeeperThan } from './body-depth';

const nested = (levels: number, wrap: (inner: unknown) => unknown) => {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level++) value = wrap(value);
  return value;
};

describe('nestsDeeperThan', () => {
  it('counts objects and arrays as levels, scalars as none', () => {
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan({ a: 1 }, 1)).toBe(false);
    expect(nestsDeeperThan([{ a: 1 }], 1)).toBe(true);
    expect(nestsDeeperThan([{ a: 1 }], 2)).toBe(false);
  });

  it('finds deep nesting in any branch, objects and arrays alike', () => {
    expect(nestsDeeperThan({ shallow: 1, deep: nested(32, (inner) => ({ a: inner })) }, 32)).toBe(true);
    expect(nestsDeeperThan({ deep: nested(31, (inner) => [inner]) }, 32)).toBe(false);
  });

  it('walks a million levels without running out of stack', () => {
    expect(
      nestsDeeperThan(
        nested(1_000_000, (inner) => [inner]),
        32,
      ),
    ).toBe(true);
  });
});

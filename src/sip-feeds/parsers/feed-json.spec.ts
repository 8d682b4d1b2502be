import { parseFeedJson } from './feed-json';

describe('parseFeedJson', () => {
  it('parses the shapes feeds send', () => {
    expect(parseFeedJson('{"new":[{"value":"1.2.3.4","scenario":"a [b] {c} \\"d["}],"deleted":null}')).toEqual({
      new: [{ value: '1.2.3.4', scenario: 'a [b] {c} "d[' }],
      deleted: null,
    });
  });

  it('refuses deep nesting before parsing it, and text that is not JSON', () => {
    expect(() => parseFeedJson('['.repeat(1_000_000) + ']'.repeat(1_000_000))).toThrow('nests deeper than 8');
    expect(() => parseFeedJson('<html>')).toThrow('answer is not JSON');
    expect(() => parseFeedJson('')).toThrow('answer is not JSON');
  });
});

import { parseApibanPage } from './apiban-feed.parser';

describe('parseApibanPage', () => {
  it("reads a page's addresses and the ID of the next page", () => {
    expect(parseApibanPage({ ipaddress: ['1.2.3.4', '1.2.3.5'], ID: '987654321' })).toEqual({
      addresses: ['1.2.3.4', '1.2.3.5'],
      nextId: '987654321',
    });
    expect(parseApibanPage({ ipaddress: ['1.2.3.4'], ID: 42 }).nextId).toBe('42');
  });

  it('ends the list at "ID":"none" and reads "no new bans" as no address', () => {
    expect(parseApibanPage({ ipaddress: ['no new bans'], ID: 'none' })).toEqual({ addresses: [], nextId: undefined });
    expect(parseApibanPage({ ipaddress: 'no new bans', ID: 'none' })).toEqual({ addresses: [], nextId: undefined });
  });

  it('never takes an ID that could steer the next request elsewhere', () => {
    expect(parseApibanPage({ ipaddress: [], ID: '../../admin' }).nextId).toBeUndefined();
    expect(parseApibanPage({ ipaddress: [], ID: '1?x=y' }).nextId).toBeUndefined();
    expect(parseApibanPage({ ipaddress: [], ID: { nested: true } }).nextId).toBeUndefined();
  });

  it('refuses an answer that is not an object, and passes odd values on for the collector to count', () => {
    expect(() => parseApibanPage(null)).toThrow('not a JSON object');
    expect(() => parseApibanPage(['1.2.3.4'])).toThrow('not a JSON object');
    expect(() => parseApibanPage('1.2.3.4')).toThrow('not a JSON object');
    expect(parseApibanPage({ ipaddress: [7, null, '1.2.3.4'] }).addresses).toEqual([7, null, '1.2.3.4']);
  });
});

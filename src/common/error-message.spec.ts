import { runInNewContext } from 'node:vm';
import { errorMessage, isErrorLike } from './error-message';

describe('errorMessage', () => {
  it('is the message of an Error, and the text of anything else thrown', () => {
    expect(errorMessage(new TypeError('fetch failed'))).toBe('fetch failed');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(null)).toBe('null');
  });

  it('reads an Error from another realm (fetch under Jest), which instanceof Error refuses', () => {
    const foreign: unknown = runInNewContext('new Error("from elsewhere")');
    expect(foreign instanceof Error).toBe(false);
    expect(isErrorLike(foreign)).toBe(true);
    expect(errorMessage(foreign)).toBe('from elsewhere');
  });
});

import { relyingPartyOf, userHandleOf } from './relying-party';

describe('relyingPartyOf', () => {
  it("takes PUBLIC_URL's host name as the RP ID and its origin, port included, as the only origin", () => {
    expect(relyingPartyOf('https://console.example.com')).toEqual({
      id: 'console.example.com',
      origin: 'https://console.example.com',
      name: 'regshield',
    });
    expect(relyingPartyOf('http://localhost:3000/regshield')).toEqual({
      id: 'localhost',
      origin: 'http://localhost:3000',
      name: 'regshield',
    });
  });
});

describe('userHandleOf', () => {
  it("is the account id's 16 bytes", () => {
    const handle = userHandleOf('0b5e4a52-55a1-4a2b-9d57-7d0c1f1f2a10');
    expect(Buffer.from(handle).toString('hex')).toBe('0b5e4a5255a14a2b9d577d0c1f1f2a10');
  });
});

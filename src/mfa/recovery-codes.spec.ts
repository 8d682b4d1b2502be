import { generateRecoveryCodes, hashRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes';
import { asTotpCode } from './totp';

describe('recovery codes', () => {
  it('are ten distinct 128-bit base32 codes in dashed groups', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}(-[a-z2-7]{5}){3}-[a-z2-7]{6}$/);
  });

  it('hash alike whatever the case, spaces and dashes, and differ from each other', () => {
    const [code, other] = generateRecoveryCodes();
    const hash = hashRecoveryCode(code);
    expect(hashRecoveryCode(code.toUpperCase().replace(/-/g, ' '))).toEqual(hash);
    expect(hashRecoveryCode(code.replace(/-/g, ''))).toEqual(hash);
    expect(hashRecoveryCode(other)).not.toEqual(hash);
  });
});

describe('asTotpCode', () => {
  it.each([
    ['123456', '123456'],
    ['123 456', '123456'],
    ['12345', undefined],
    ['1234567', undefined],
    ['abcdef', undefined],
  ])('reads %j as %j', (input, code) => {
    expect(asTotpCode(input)).toBe(code);
  });
});

import { Response } from 'supertest';

/**
 * Passwords on the common-password list that pass the composition rules (upper, lower, digit, 8+), so
 * that only the blocklist refuses them: for register, reset and change alike.
 */
export const COMMON_PASSWORDS = ['Password123', 'Qwerty123', 'Iloveyou1', 'Test1234'];

/** The 422 a blocklisted password gets, wherever it is set. */
export function expectCommonPasswordRefused(response: Response, field = 'password'): void {
  expect(response.status).toBe(422);
  expect(response.body).toEqual({
    statusCode: 422,
    error: 'Unprocessable Entity',
    message: [`${field === 'password' ? '' : `${field}: `}password is too common: it is on a list of leaked passwords`],
  });
}

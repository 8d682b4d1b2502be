import { compromiseReason, compromiseRule, newNetworkKind } from './account-rules';

const clean = { failedForAccount: 0, usernamesTried: 0, banId: null, trusted: false };

describe('compromiseRule', () => {
  it('is nothing for a source with no failure, ban or sweep', () => {
    expect(compromiseRule(clean, 5)).toBeUndefined();
  });

  it('fires when the source failed to register the same account before succeeding', () => {
    expect(compromiseRule({ ...clean, failedForAccount: 1, usernamesTried: 1 }, 5)).toBe('failed_then_succeeded');
  });

  it('leaves a trusted source that mistyped its password alone', () => {
    expect(compromiseRule({ ...clean, failedForAccount: 3, usernamesTried: 1, trusted: true }, 5)).toBeUndefined();
  });

  it('fires for a source that was banned, trusted or not', () => {
    expect(compromiseRule({ ...clean, banId: '7' }, 5)).toBe('banned_source');
    expect(compromiseRule({ ...clean, banId: '7', trusted: true }, 5)).toBe('banned_source');
  });

  it('fires for more than SIP_BAN_MAX_RETRY distinct usernames, not at it', () => {
    expect(compromiseRule({ ...clean, usernamesTried: 5 }, 5)).toBeUndefined();
    expect(compromiseRule({ ...clean, usernamesTried: 6 }, 5)).toBe('username_sweep');
    expect(compromiseRule({ ...clean, usernamesTried: 6, trusted: true }, 5)).toBe('username_sweep');
  });

  it('names the account in the reason', () => {
    expect(compromiseReason('failed_then_succeeded', '1000', 'sip.example.com')).toContain('1000@sip.example.com');
  });
});

describe('newNetworkKind', () => {
  it('says nothing of an account first registration', () => {
    expect(newNetworkKind({ historyCount: 0, networkKnown: false }, 'FR', new Set())).toBeUndefined();
  });

  it('says nothing of a known network', () => {
    expect(newNetworkKind({ historyCount: 4, networkKnown: true }, undefined, undefined)).toBeUndefined();
  });

  it('is new_network for a network the account has not used, without a country database', () => {
    expect(newNetworkKind({ historyCount: 4, networkKnown: false }, undefined, undefined)).toBe('new_network');
  });

  it('is new_country when the country is new, new_network when only the network is', () => {
    expect(newNetworkKind({ historyCount: 2, networkKnown: false }, 'BR', new Set(['FR']))).toBe('new_country');
    expect(newNetworkKind({ historyCount: 2, networkKnown: false }, 'FR', new Set(['FR']))).toBe('new_network');
  });

  it('is new_country even from a known network that moved country', () => {
    expect(newNetworkKind({ historyCount: 2, networkKnown: true }, 'BR', new Set(['FR']))).toBe('new_country');
  });

  it('leaves the country rule out when no earlier address was placed', () => {
    expect(newNetworkKind({ historyCount: 2, networkKnown: true }, 'BR', new Set())).toBeUndefined();
  });
});

import { goDuration, toCrowdsecDecision, UNTIL_LIFTED_DURATION_SECONDS } from './crowdsec-decision';
import { toIpsetRestore, toNftablesScript, toPlainList } from './firewall-export';

describe('CrowdSec decisions', () => {
  it('writes durations as Go does', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(59)).toBe('59s');
    expect(goDuration(3599)).toBe('59m59s');
    expect(goDuration(3600)).toBe('1h0m0s');
    expect(goDuration(UNTIL_LIFTED_DURATION_SECONDS)).toBe('960h0m0s');
  });

  it('makes a single address an Ip decision and anything wider a Range', () => {
    expect(toCrowdsecDecision({ id: '7', cidr: '198.51.100.7/32', reason: 'svcrack', secondsLeft: 90 })).toEqual({
      id: 7,
      origin: 'regshield',
      type: 'ban',
      scope: 'Ip',
      value: '198.51.100.7',
      duration: '1m30s',
      scenario: 'svcrack',
    });
    expect(toCrowdsecDecision({ id: '8', cidr: '2001:db8::/64', reason: 'x', secondsLeft: null })).toMatchObject({
      scope: 'Range',
      value: '2001:db8::/64',
      duration: '960h0m0s',
    });
    expect(toCrowdsecDecision({ id: '9', cidr: '2001:db8::5/128', reason: 'x', secondsLeft: -3 })).toMatchObject({
      scope: 'Ip',
      value: '2001:db8::5',
      duration: '0s',
    });
  });
});

describe('firewall exports', () => {
  const bans = [
    { id: '1', cidr: '198.51.100.7/32', reason: 'x', secondsLeft: 3600 },
    { id: '2', cidr: '203.0.113.0/24', reason: 'x', secondsLeft: null },
    { id: '3', cidr: '2001:db8:5::/64', reason: 'x', secondsLeft: 60 },
  ];

  it('writes the plain list one CIDR a line, the last line ended too', () => {
    expect(toPlainList(bans)).toBe('198.51.100.7/32\n203.0.113.0/24\n2001:db8:5::/64\n');
    expect(toPlainList([])).toBe('');
  });

  it('writes an nft script that replaces its table, with timeouts only where a ban ends', () => {
    const script = toNftablesScript(bans);
    expect(script.startsWith('add table inet regshield\ndelete table inet regshield\ntable inet regshield {')).toBe(
      true,
    );
    expect(script).toContain('elements = { 198.51.100.7/32 timeout 3600s, 203.0.113.0/24 }');
    expect(script).toContain('elements = { 2001:db8:5::/64 timeout 60s }');
    expect(toNftablesScript([])).not.toContain('elements');
  });

  it('writes an ipset restore file that fills a spare set and swaps it in', () => {
    const lines = toIpsetRestore(bans).trim().split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'create regshield-v4 hash:net family inet timeout 0 -exist',
      'create regshield-v4-next hash:net family inet timeout 0 -exist',
      'flush regshield-v4-next',
      'add regshield-v4-next 198.51.100.7/32 timeout 3600',
      'add regshield-v4-next 203.0.113.0/24 timeout 0',
      'swap regshield-v4-next regshield-v4',
      'destroy regshield-v4-next',
    ]);
    expect(lines).toContain('add regshield-v6-next 2001:db8:5::/64 timeout 60');
  });
});

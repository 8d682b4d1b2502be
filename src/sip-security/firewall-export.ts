import { BanDecision } from './bouncers.repository';

/** What `GET …/bans/export?format=` takes; every format but json is sent as FIREWALL_TEXT_CONTENT_TYPE. */
export const BAN_EXPORT_FORMATS = ['plain', 'json', 'nftables', 'ipset'] as const;
export type BanExportFormat = (typeof BAN_EXPORT_FORMATS)[number];

export const FIREWALL_TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** Names an operator's firewall refers to: the table and sets (nftables) and the set prefix (ipset). */
const NFT_TABLE = 'regshield';
const IPSET_PREFIX = 'regshield';

function byFamily(bans: BanDecision[]): { ipv4: BanDecision[]; ipv6: BanDecision[] } {
  return {
    ipv4: bans.filter((ban) => !ban.cidr.includes(':')),
    ipv6: bans.filter((ban) => ban.cidr.includes(':')),
  };
}

/** One CIDR a line, the last line ended too, for scripts that read the list line by line. */
export function toPlainList(bans: ReadonlyArray<{ cidr: string }>): string {
  return bans.map((ban) => `${ban.cidr}\n`).join('');
}

const timeout = (ban: BanDecision) => (ban.secondsLeft === null ? '' : ` timeout ${Math.max(1, ban.secondsLeft)}s`);

/**
 * An `nft -f` script that replaces table inet regshield atomically (the add-then-delete idiom makes it
 * loadable whether or not the table exists): two interval sets with per-element timeouts, and an input
 * chain dropping their sources.
 */
export function toNftablesScript(bans: BanDecision[]): string {
  const { ipv4, ipv6 } = byFamily(bans);
  const set = (name: string, type: string, members: BanDecision[]) => {
    const elements = members.map((ban) => `${ban.cidr}${timeout(ban)}`).join(', ');
    return [
      `  set ${name} {`,
      `    type ${type}; flags interval, timeout;`,
      ...(members.length > 0 ? [`    elements = { ${elements} }`] : []),
      '  }',
    ];
  };
  return [
    `add table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    ...set('banned_ipv4', 'ipv4_addr', ipv4),
    ...set('banned_ipv6', 'ipv6_addr', ipv6),
    '  chain input {',
    '    type filter hook input priority filter - 10; policy accept;',
    '    ip saddr @banned_ipv4 drop',
    '    ip6 saddr @banned_ipv6 drop',
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * An `ipset restore` file that fills regshield-v4 / regshield-v6 (hash:net with timeouts; 0: until lifted)
 * through a swap, so the live sets are never empty in between. Point an iptables rule at them.
 */
export function toIpsetRestore(bans: BanDecision[]): string {
  const { ipv4, ipv6 } = byFamily(bans);
  const lines: string[] = [];
  for (const [suffix, family, members] of [
    ['v4', 'inet', ipv4],
    ['v6', 'inet6', ipv6],
  ] as const) {
    const live = `${IPSET_PREFIX}-${suffix}`;
    const next = `${live}-next`;
    lines.push(`create ${live} hash:net family ${family} timeout 0 -exist`);
    lines.push(`create ${next} hash:net family ${family} timeout 0 -exist`);
    lines.push(`flush ${next}`);
    for (const ban of members) {
      lines.push(`add ${next} ${ban.cidr} timeout ${ban.secondsLeft === null ? 0 : Math.max(1, ban.secondsLeft)}`);
    }
    lines.push(`swap ${next} ${live}`);
    lines.push(`destroy ${next}`);
  }
  return `${lines.join('\n')}\n`;
}

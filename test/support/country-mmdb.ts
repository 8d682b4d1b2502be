import { writeFileSync } from 'node:fs';

/**
 * Writes a tiny MaxMind-format country database (MaxMind DB 2.0: an IPv4 search tree with 24-bit records, a
 * data section of `{country: {iso_code}}` maps and the metadata the readers need), so a test can give
 * GEOIP_DB a file whose answers it chose, instead of downloading a real one.
 */
export function writeCountryMmdb(file: string, networks: Array<[cidr: string, isoCode: string]>): void {
  interface TreeNode {
    children: [TreeNode | string | undefined, TreeNode | string | undefined];
  }
  const root: TreeNode = { children: [undefined, undefined] };
  for (const [cidr, isoCode] of networks) {
    const [address, length] = cidr.split('/');
    const bits = address.split('.').reduce((value, octet) => (value << 8) + Number(octet), 0) >>> 0;
    let node = root;
    for (let depth = 0; depth < Number(length); depth++) {
      const bit = (bits >>> (31 - depth)) & 1;
      if (depth === Number(length) - 1) {
        node.children[bit] = isoCode;
      } else {
        const next = node.children[bit];
        if (typeof next === 'object') {
          node = next;
        } else {
          const created: TreeNode = { children: [undefined, undefined] };
          node.children[bit] = created;
          node = created;
        }
      }
    }
  }
  const nodes: TreeNode[] = [];
  const number = new Map<TreeNode, number>();
  const queue = [root];
  while (queue.length > 0) {
    const node = queue.shift()!;
    number.set(node, nodes.length);
    nodes.push(node);
    for (const child of node.children) if (typeof child === 'object') queue.push(child);
  }
  const dataOffsets = new Map<string, number>();
  const data: Buffer[] = [];
  let dataLength = 0;
  for (const [, isoCode] of networks) {
    if (dataOffsets.has(isoCode)) continue;
    const record = Buffer.concat([map(1), text('country'), map(1), text('iso_code'), text(isoCode)]);
    dataOffsets.set(isoCode, dataLength);
    data.push(record);
    dataLength += record.length;
  }
  const nodeCount = nodes.length;
  const recordOf = (child: TreeNode | string | undefined): number =>
    child === undefined
      ? nodeCount
      : typeof child === 'object'
        ? number.get(child)!
        : nodeCount + 16 + dataOffsets.get(child)!;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((node, index) => {
    tree.writeUIntBE(recordOf(node.children[0]), index * 6, 3);
    tree.writeUIntBE(recordOf(node.children[1]), index * 6 + 3, 3);
  });
  const metadata = Buffer.concat([
    Buffer.from('ABCDEF4D61784D696E642E636F6D', 'hex'),
    map(3),
    text('node_count'),
    uint32(nodeCount),
    text('record_size'),
    uint16(24),
    text('ip_version'),
    uint16(4),
  ]);
  writeFileSync(file, Buffer.concat([tree, Buffer.alloc(16), ...data, metadata]));
}

function map(size: number): Buffer {
  return Buffer.from([(7 << 5) | size]);
}

function text(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([(2 << 5) | bytes.length]), bytes]);
}

function uint16(value: number): Buffer {
  const bytes = Buffer.alloc(3);
  bytes[0] = (5 << 5) | 2;
  bytes.writeUInt16BE(value, 1);
  return bytes;
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(5);
  bytes[0] = (6 << 5) | 4;
  bytes.writeUInt32BE(value, 1);
  return bytes;
}

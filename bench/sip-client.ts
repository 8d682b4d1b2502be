import { createHash, randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';

/**
 * A minimal SIP-over-UDP user agent for `npm run bench:sip`: REGISTER with digest authentication, one socket
 * bound to one loopback address, so that a few hundred sources cost one process and no external tool. It
 * sends each request once (no retransmission): an answer that does not come within the timeout is reported
 * as missing, which is what a stalled proxy looks like.
 */
export interface SipAccount {
  username: string;
  password: string;
  domain: string;
}

export interface SipTarget {
  host: string;
  port: number;
}

export interface SipResponse {
  status: number;
  receivedAt: number;
  /** the challenge's WWW-Authenticate header, when there is one */
  challenge?: string;
}

/** One request and what came back: `sentAt` and the answer's `receivedAt` are Date.now() values. */
export interface SipExchange {
  sentAt: number;
  response?: SipResponse;
}

/** The two requests of a registration: the first draws the 401, the second carries the credentials. */
export interface Registration {
  challenge: SipExchange;
  credentials?: SipExchange;
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const token = (): string => randomBytes(8).toString('hex');

function header(message: string, name: string): string | undefined {
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(message);
  return match?.[1].trim();
}

function digestParameter(challenge: string, name: string): string | undefined {
  const match = new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge);
  return match?.[1];
}

/** RFC 2617 digest with MD5, answering qop=auth when the challenge offers it. */
function authorization(challenge: string, account: SipAccount, uri: string): string {
  const realm = digestParameter(challenge, 'realm') ?? account.domain;
  const nonce = digestParameter(challenge, 'nonce') ?? '';
  const ha1 = md5(`${account.username}:${realm}:${account.password}`);
  const ha2 = md5(`REGISTER:${uri}`);
  const common = `Digest username="${account.username}", realm="${realm}", nonce="${nonce}", uri="${uri}", algorithm=MD5`;
  if (!/qop="?[^"]*auth/i.test(challenge)) return `${common}, response="${md5(`${ha1}:${nonce}:${ha2}`)}"`;
  const cnonce = token();
  const response = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
  return `${common}, response="${response}", qop=auth, nc=00000001, cnonce="${cnonce}"`;
}

/** An address as it stands in a Via or Contact header: an IPv6 one in brackets. */
const hostPart = (address: string): string => (address.includes(':') ? `[${address}]` : address);

export class SipEndpoint {
  private readonly socket: dgram.Socket;
  private port = 0;
  /** Call-ID + CSeq number → the waiting request */
  private readonly waiting = new Map<string, (response: SipResponse) => void>();

  constructor(
    readonly address: string,
    private readonly target: SipTarget,
    private readonly userAgent: string,
  ) {
    this.socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('message', (buffer) => this.receive(buffer.toString('latin1')));
  }

  bind(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(0, this.address, () => {
        this.port = this.socket.address().port;
        resolve();
      });
    });
  }

  close(): void {
    this.socket.close();
  }

  /** One OPTIONS to the domain: answered by a running proxy, and never recorded. */
  ping(domain: string, timeoutMs: number): Promise<SipExchange> {
    const callId = `${token()}@regshield-bench`;
    const message = [
      `OPTIONS sip:${domain} SIP/2.0`,
      `Via: SIP/2.0/UDP ${hostPart(this.address)}:${this.port};rport;branch=z9hG4bK${token()}`,
      'Max-Forwards: 70',
      `From: <sip:ping@${domain}>;tag=${token()}`,
      `To: <sip:${domain}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 OPTIONS',
      `User-Agent: ${this.userAgent}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    return this.send(message, callId, 1, timeoutMs);
  }

  /** REGISTER, then again with credentials when challenged; each request waits `timeoutMs` for its answer. */
  async register(account: SipAccount, timeoutMs: number): Promise<Registration> {
    const callId = `${token()}@regshield-bench`;
    const tag = token();
    const challenge = await this.send(this.registerRequest(account, callId, tag, 1), callId, 1, timeoutMs);
    if (challenge.response?.status !== 401 || !challenge.response.challenge) return { challenge };
    const credentials = authorization(challenge.response.challenge, account, `sip:${account.domain}`);
    return {
      challenge,
      credentials: await this.send(this.registerRequest(account, callId, tag, 2, credentials), callId, 2, timeoutMs),
    };
  }

  private registerRequest(
    account: SipAccount,
    callId: string,
    tag: string,
    cseq: number,
    credentials?: string,
  ): string {
    const contact = `${hostPart(this.address)}:${this.port}`;
    return [
      `REGISTER sip:${account.domain} SIP/2.0`,
      `Via: SIP/2.0/UDP ${contact};rport;branch=z9hG4bK${token()}`,
      'Max-Forwards: 70',
      `From: <sip:${account.username}@${account.domain}>;tag=${tag}`,
      `To: <sip:${account.username}@${account.domain}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:${account.username}@${contact}>`,
      'Expires: 60',
      `User-Agent: ${this.userAgent}`,
      ...(credentials ? [`Authorization: ${credentials}`] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }

  private send(message: string, callId: string, cseq: number, timeoutMs: number): Promise<SipExchange> {
    const key = `${callId} ${cseq}`;
    const sentAt = Date.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve({ sentAt });
      }, timeoutMs);
      this.waiting.set(key, (response) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve({ sentAt, response });
      });
      this.socket.send(message, this.target.port, this.target.host);
    });
  }

  private receive(message: string): void {
    const status = /^SIP\/2\.0 (\d{3})/.exec(message);
    const callId = header(message, 'Call-ID');
    const cseq = /^(\d+)/.exec(header(message, 'CSeq') ?? '');
    if (!status || !callId || !cseq) return;
    const code = Number(status[1]);
    // provisional answers (100 Trying) are not the answer a registration waits for
    if (code < 200) return;
    this.waiting.get(`${callId} ${cseq[1]}`)?.({
      status: code,
      receivedAt: Date.now(),
      challenge: header(message, 'WWW-Authenticate'),
    });
  }
}

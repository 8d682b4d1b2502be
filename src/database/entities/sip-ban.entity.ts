import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type BanSource = 'auto' | 'manual' | 'feed';

/** The engine's rules: one touch of a decoy username, or SIP_BAN_MAX_RETRY counted events in the window. */
/** `credential_compromise`: the source registered an account it had been guessing (src/sip-accounts). */
export type BanRule = 'decoy' | 'max_retry' | 'credential_compromise';

/**
 * What the engine saw of a source when it banned it: its counted events since the window's start (or its
 * last automatic ban), stored with the ban so the answer to "why?" outlives the events.
 */
export interface BanEvidence {
  rule: BanRule;
  /** The decoy username touched (rule `decoy`), lower case. */
  decoyUsername: string | null;
  /** The settings in force when the rule fired. */
  maxRetry: number;
  findTimeSeconds: number;
  /** Events by kind: `failed_registration`, or a door knock's reason (`door_knock` when it has none). */
  counts: Record<string, number>;
  failedRegistrations: number;
  doorKnocks: number;
  /** ISO 8601; null when no event of the window was left to read. */
  firstEventAt: string | null;
  lastEventAt: string | null;
  distinctUsernames: number;
  /** Up to EVIDENCE_LIST_LIMIT of each, most frequent first. */
  usernames: string[];
  userAgents: string[];
  /** More events than the engine read for the evidence (it reads the latest EVIDENCE_EVENT_LIMIT of each table). */
  truncated: boolean;
}

/** A ban of a CIDR; active while not lifted and not expired. Rows are kept as the offenders' history. */
@Entity({ name: 'sip_bans' })
export class SipBan {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'cidr' })
  cidr: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'text' })
  source: BanSource;

  /** The feed's name when source is `feed` (kept after the feed is deleted). */
  @Column({ type: 'text', nullable: true })
  feed: string | null;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** Absolute, so that a restart neither drops nor lengthens a ban; null: until lifted. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'lifted_at', type: 'timestamptz', nullable: true })
  liftedAt: Date | null;

  @Column({ name: 'lifted_by', type: 'uuid', nullable: true })
  liftedBy: string | null;

  /** What the engine saw when it made an automatic ban; null for a manual one. */
  @Column({ type: 'jsonb', nullable: true })
  evidence: BanEvidence | null;
}

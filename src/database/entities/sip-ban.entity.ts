import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type BanSource = 'auto' | 'manual' | 'feed';

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
}

import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Where an allowlist entry came from: the API (kept until removed) or SIP_ALLOWLIST (follows the variable). */
export type AllowlistOrigin = 'api' | 'config';

/** A CIDR never banned automatically (trunks, PBXs, the operator's own networks). */
@Entity({ name: 'sip_allowlist' })
export class SipAllowlistEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'cidr' })
  cidr: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'text', default: 'api' })
  origin: AllowlistOrigin;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

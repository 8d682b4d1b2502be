import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A CIDR never banned automatically (trunks, PBXs, the operator's own networks). */
@Entity({ name: 'sip_allowlist' })
export class SipAllowlistEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'cidr' })
  cidr: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

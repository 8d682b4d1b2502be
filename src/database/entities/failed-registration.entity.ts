import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A REGISTER the proxy refused after digest authentication (never a 401 challenge). */
@Entity({ name: 'failed_registrations' })
export class FailedRegistration {
  /** bigserial: kept as a string, as pg returns int8, so no id is ever rounded. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text', nullable: true })
  username: string | null;

  @Column({ type: 'text', nullable: true })
  domain: string | null;

  @Column({ name: 'source_ip', type: 'inet' })
  sourceIp: string;

  @Column({ name: 'source_port', type: 'int', nullable: true })
  sourcePort: number | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  @Column({ name: 'response_code', type: 'int', nullable: true })
  responseCode: number | null;

  @Column({ name: 'response_reason', type: 'text', nullable: true })
  responseReason: string | null;

  @Column({ type: 'int', nullable: true })
  expires: number | null;

  /** Part of the primary key (id, created_at): the table is partitioned by it (docs/SIP.md). */
  @PrimaryColumn({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

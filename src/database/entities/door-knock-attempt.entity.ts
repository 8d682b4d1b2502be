import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A request for a domain the proxy does not serve, a domain mismatch, a flood: a scanner at the door. */
@Entity({ name: 'door_knock_attempts' })
export class DoorKnockAttempt {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'source_ip', type: 'inet' })
  sourceIp: string;

  @Column({ name: 'source_port', type: 'int', nullable: true })
  sourcePort: number | null;

  @Column({ type: 'text', nullable: true })
  method: string | null;

  @Column({ name: 'request_uri', type: 'text', nullable: true })
  requestUri: string | null;

  @Column({ name: 'from_uri', type: 'text', nullable: true })
  fromUri: string | null;

  @Column({ name: 'to_uri', type: 'text', nullable: true })
  toUri: string | null;

  @Column({ type: 'text', nullable: true })
  domain: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  /** Part of the primary key (id, created_at): the table is partitioned by it (docs/SIP.md). */
  @PrimaryColumn({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One stored security event (see AuditBuffer for how it gets here). */
@Entity({ name: 'audit_events' })
export class AuditEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz' })
  time: Date;

  @Column({ type: 'text' })
  event: string;

  @Column({ type: 'inet', nullable: true })
  ip: string | null;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ name: 'target_id', type: 'uuid', nullable: true })
  targetId: string | null;

  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;
}

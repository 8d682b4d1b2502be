import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import { AuditTrail, RecordAuditEvent } from '../audit/audit-trail.service';
import { EmailTakenError, NewUser, UsersRepository } from '../auth/users.repository';
import { sha256 } from '../common/secret-token';
import { AppConfig } from '../config/app-config';
import { User } from '../database/entities/user.entity';
import { MailMessage } from '../mail/mail-message';
import { MailService } from '../mail/mail.service';
import { Invitation, invitationStatus } from './invitation';
import { InvitationsRepository, NewInvitation } from './invitations.repository';
import { InvitationsService } from './invitations.service';

/** AuditTrail over a fake transaction: each event it records goes to `record`. */
const auditTrailRecordingTo = (record: RecordAuditEvent) =>
  ({
    run: (work: (tx: unknown, record: RecordAuditEvent) => Promise<unknown>) => work({}, record),
  }) as unknown as AuditTrail;

const ADMIN = { id: 'admin-id', ip: '192.0.2.1' };
const HOUR = 3600_000;

/** The invitations table in memory, with the rules the SQL statements apply. */
class FakeInvitations {
  rows: Array<Invitation & { tokenHash: Buffer }> = [];

  lockAddress() {
    return Promise.resolve();
  }

  revokePendingFor(email: string) {
    const pending = this.rows.filter((row) => row.email === email && invitationStatus(row) === 'pending');
    for (const row of pending) row.revokedAt = new Date();
    return Promise.resolve(pending.length);
  }

  insert(invitation: NewInvitation) {
    const row = {
      id: `invitation-${this.rows.length + 1}`,
      email: invitation.email,
      isSuperuser: invitation.isSuperuser,
      invitedBy: invitation.invitedBy,
      tokenHash: invitation.tokenHash,
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + invitation.ttlSeconds * 1000),
      acceptedAt: null,
      acceptedUserId: null,
      revokedAt: null,
    };
    this.rows.push(row);
    return Promise.resolve(row);
  }

  revokeIfPending(id: string) {
    const row = this.rows.find((candidate) => candidate.id === id);
    if (!row) return Promise.resolve(undefined);
    if (invitationStatus(row) !== 'pending') return Promise.resolve({ invitation: row, revoked: false });
    row.revokedAt = new Date();
    return Promise.resolve({ invitation: row, revoked: true });
  }

  acceptPending(tokenHash: Buffer) {
    const row = this.rows.find((candidate) => candidate.tokenHash.equals(tokenHash));
    if (!row || invitationStatus(row) !== 'pending') return Promise.resolve(undefined);
    row.acceptedAt = new Date();
    return Promise.resolve(row);
  }

  recordAcceptedUser(id: string, userId: string) {
    this.rows.find((row) => row.id === id)!.acceptedUserId = userId;
    return Promise.resolve();
  }
}

describe('InvitationsService', () => {
  let invitations: FakeInvitations;
  let existing: Set<string>;
  let mails: MailMessage[];
  const record = jest.fn(() => Promise.resolve());
  let service: InvitationsService;

  const users = {
    existsByEmail: (email: string) => Promise.resolve(existing.has(email)),
    insertUser: (user: NewUser) => {
      if (existing.has(user.email)) return Promise.reject(new EmailTakenError(user.email));
      existing.add(user.email);
      return Promise.resolve(Object.assign(new User(), { id: `user-${existing.size}`, ...user }));
    },
  };

  const tokenOf = (mail: MailMessage) => decodeURIComponent(/accept-invite\?token=([\w%-]+)/.exec(mail.text)![1]);
  const accept = (token: string) =>
    service.accept({ token, password: 'Invited1234', full_name: 'Ivy Invited' }, '198.51.100.7');

  beforeEach(() => {
    invitations = new FakeInvitations();
    existing = new Set(['taken@example.com']);
    mails = [];
    record.mockClear();
    service = new InvitationsService(
      invitations as unknown as InvitationsRepository,
      users as unknown as UsersRepository,
      auditTrailRecordingTo(record),
      { enqueue: (message: MailMessage) => Promise.resolve(void mails.push(message)) } as unknown as MailService,
      { publicUrl: 'https://shield.example', accountEmail: { invitationTtlSeconds: 3600 } } as AppConfig,
    );
  });

  it('mails a link whose token is stored only as its digest, and audits the invitation', async () => {
    const invitation = await service.invite(ADMIN, 'new@example.com', false);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ kind: 'invitation', to: 'new@example.com' });
    expect(mails[0].html).toContain('https://shield.example/accept-invite?token=');
    const token = tokenOf(mails[0]);
    expect(invitations.rows[0].tokenHash.equals(sha256(token))).toBe(true);
    expect(invitation.expiresAt.getTime() - Date.now()).toBeGreaterThan(HOUR - 5000);
    expect(record).toHaveBeenCalledWith(
      'invitation_created',
      expect.objectContaining({ actor_id: 'admin-id', invitation_id: invitation.id, replaced: 0 }),
    );
  });

  it('refuses an address that has an account (409)', async () => {
    await expect(service.invite(ADMIN, 'taken@example.com', false)).rejects.toBeInstanceOf(ConflictException);
    expect(mails).toHaveLength(0);
  });

  it('a second invitation to a pending address revokes the first', async () => {
    await service.invite(ADMIN, 'new@example.com', false);
    await service.invite(ADMIN, 'new@example.com', true);
    expect(invitations.rows.map((row) => invitationStatus(row))).toEqual(['revoked', 'pending']);
    await expect(accept(tokenOf(mails[0]))).rejects.toBeInstanceOf(BadRequestException);
    await expect(accept(tokenOf(mails[1]))).resolves.toMatchObject({ isSuperuser: true });
  });

  it('accepting creates an active, verified user as invited, once', async () => {
    await service.invite(ADMIN, 'new@example.com', true);
    const token = tokenOf(mails[0]);
    const user = await accept(token);
    expect(user).toMatchObject({
      email: 'new@example.com',
      fullName: 'Ivy Invited',
      status: 'active',
      isSuperuser: true,
      emailVerified: true,
    });
    expect(invitations.rows[0].acceptedUserId).toBe(user.id);
    expect(record).toHaveBeenCalledWith(
      'user_created',
      expect.objectContaining({ via: 'invitation', invitation_id: 'invitation-1', actor_id: 'admin-id' }),
    );
    await expect(accept(token)).rejects.toThrow('Invalid or expired token');
  });

  it('refuses expired, revoked and unknown tokens alike (400)', async () => {
    await service.invite(ADMIN, 'late@example.com', false);
    invitations.rows[0].expiresAt = new Date(Date.now() - 1000);
    await expect(accept(tokenOf(mails[0]))).rejects.toThrow('Invalid or expired token');

    const revoked = await service.invite(ADMIN, 'revoked@example.com', false);
    await service.revoke(ADMIN, revoked.id);
    await expect(accept(tokenOf(mails[1]))).rejects.toThrow('Invalid or expired token');
    await expect(accept('no-such-token')).rejects.toThrow('Invalid or expired token');
  });

  it('409 when an account with the address was made after the invitation', async () => {
    await service.invite(ADMIN, 'race@example.com', false);
    existing.add('race@example.com');
    await expect(accept(tokenOf(mails[0]))).rejects.toThrow('Email already registered');
  });

  it('revoking: 404 for an unknown id, 409 for one no longer pending, audited when done', async () => {
    await expect(service.revoke(ADMIN, 'missing')).rejects.toBeInstanceOf(NotFoundException);
    const invitation = await service.invite(ADMIN, 'new@example.com', false);
    await service.revoke(ADMIN, invitation.id);
    expect(record).toHaveBeenCalledWith(
      'invitation_revoked',
      expect.objectContaining({ actor_id: 'admin-id', invitation_id: invitation.id }),
    );
    await expect(service.revoke(ADMIN, invitation.id)).rejects.toThrow('Invitation is revoked, not pending');
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { AuditBuffer } from './audit-buffer';
import { auditRecord, SecurityLogService } from './security-log.service';

describe('SecurityLogService', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'regshield-security-log-')), 'security.log');
  const buffer = new AuditBuffer();
  const service = new SecurityLogService({ logLevel: 'silent', securityLogFile: file } as AppConfig, buffer);
  const heard: string[] = [];
  service.onEvent((event) => heard.push(event));
  const lines = () =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  afterAll(() => service.close());

  it('writes a stored event with its row time, without buffering a second copy of the row', () => {
    const time = new Date('2026-01-02T03:04:05.678Z');
    const fields = { ip: '192.0.2.1', action: 'activate', actor_id: 'a0000000-0000-4000-8000-000000000001' };
    service.logStored(time, 'admin_action', { ...fields, password: 'Secret123' });

    expect(buffer.size).toBe(0);
    expect(lines().at(-1)).toMatchObject({ time: time.toISOString(), event: 'admin_action', password: '[redacted]' });
    expect(heard.at(-1)).toBe('admin_action');
    expect(auditRecord(time, 'admin_action', { ...fields, password: 'Secret123' })).toEqual({
      time,
      event: 'admin_action',
      ip: '192.0.2.1',
      actorId: fields.actor_id,
      targetId: null,
      details: { action: 'activate' },
    });
  });

  it('buffers the row of any other event, with the time of its line', () => {
    service.log('login_failed', { ip: '192.0.2.2', email: 'x@example.com' });
    const [record] = buffer.take(10);
    expect(lines().at(-1)).toMatchObject({ event: 'login_failed', time: record.time.toISOString() });
    expect(record).toMatchObject({ event: 'login_failed', details: { email: 'x@example.com' } });
  });
});

import { useQueryClient } from '@tanstack/react-query';
import { FormEvent, useState } from 'react';
import { api } from '../../../api/client';
import { useApiForm } from '../../../api/use-api-form';
import { Field, FormErrors } from '../../../components/field';
import { networkNotice } from './network-notice';
import { WideRangeBox } from './wide-range-box';

const BAN_FIELDS = ['cidr', 'reason', 'duration_seconds'] as const;

interface BanFormProps {
  /** The one address to ban (a source's page); without it the form asks for any CIDR. */
  address?: string;
  /** Told what was banned, in words. */
  onBanned: (notice: string) => void;
}

/**
 * Bans a CIDR by hand, with a reason and an optional duration. For one address the range cannot be too
 * wide, so the CIDR field and the force box are left out.
 */
export function BanForm({ address, onBanned }: BanFormProps) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ cidr: '', reason: '', duration: '', force: false });
  const { fieldErrors, formErrors, send } = useApiForm(BAN_FIELDS);
  const title = address ? 'Ban this address' : 'Add a ban';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const cidr = address ?? form.cidr;
    const duration = form.duration.trim() === '' ? null : Number(form.duration);
    const body = { cidr, reason: form.reason, duration_seconds: duration, force: form.force };
    const sent = await send(() => api.POST('/api/sip-security/bans', { body }), { failed: 'Ban refused' });
    if (!sent?.data) return;
    onBanned(networkNotice(cidr, sent.data.cidr, 'banned'));
    setForm({ cidr: '', reason: '', duration: '', force: false });
    void queryClient.invalidateQueries({ queryKey: ['sip'] });
  };

  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} aria-label={title}>
      <h3>{title}</h3>
      <FormErrors messages={[...formErrors, ...(address ? (fieldErrors.cidr ?? []) : [])]} />
      {!address && (
        <Field
          label="CIDR to ban"
          name="cidr"
          placeholder="203.0.113.0/24"
          required
          value={form.cidr}
          onChange={(e) => setForm({ ...form, cidr: e.target.value })}
          errors={fieldErrors.cidr}
        />
      )}
      <Field
        label="Reason"
        name="reason"
        required
        value={form.reason}
        onChange={(e) => setForm({ ...form, reason: e.target.value })}
        errors={fieldErrors.reason}
      />
      <Field
        label="Duration in seconds"
        name="duration_seconds"
        inputMode="numeric"
        hint="Empty: until lifted"
        value={form.duration}
        onChange={(e) => setForm({ ...form, duration: e.target.value })}
        errors={fieldErrors.duration_seconds}
      />
      {!address && <WideRangeBox verb="Ban" checked={form.force} onChange={(force) => setForm({ ...form, force })} />}
      <button type="submit" className="primary">
        {address ? `Ban ${address}` : 'Add ban'}
      </button>
    </form>
  );
}

import { useQueryClient } from '@tanstack/react-query';
import { FormEvent, useState } from 'react';
import { api, errorMessages, messagesByField } from '../../../api/client';
import { Field, FormErrors } from '../../../components/field';
import { networkNotice } from './network-notice';

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
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<(typeof BAN_FIELDS)[number], string[]>>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const title = address ? 'Ban this address' : 'Add a ban';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFieldErrors({});
    setFormErrors([]);
    const cidr = address ?? form.cidr;
    const duration = form.duration.trim() === '' ? null : Number(form.duration);
    const { data, error, response } = await api.POST('/api/sip-security/bans', {
      body: { cidr, reason: form.reason, duration_seconds: duration, force: form.force },
    });
    if (data) {
      onBanned(networkNotice(cidr, data.cidr, 'banned'));
      setForm({ cidr: '', reason: '', duration: '', force: false });
      void queryClient.invalidateQueries({ queryKey: ['sip'] });
      return;
    }
    const split = messagesByField(errorMessages(error, `Ban refused (${response.status}).`), BAN_FIELDS);
    setFieldErrors(split.fields);
    setFormErrors(split.other);
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
      {!address && (
        <div className="field checkbox">
          <label>
            <input
              type="checkbox"
              name="force"
              checked={form.force}
              onChange={(e) => setForm({ ...form, force: e.target.checked })}
            />
            Ban it even if it is wider than the minimum prefix (SIP_MIN_PREFIX_IPV4/IPV6)
          </label>
        </div>
      )}
      <button type="submit" className="primary">
        {address ? `Ban ${address}` : 'Add ban'}
      </button>
    </form>
  );
}

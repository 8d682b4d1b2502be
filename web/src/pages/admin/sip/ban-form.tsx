import { api } from '../../../api/client';
import { AddForm } from '../../../components/add-form';
import { Field } from '../../../components/field';
import { useAddForm } from '../../../components/use-add-form';
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
  const form = useAddForm({
    empty: { cidr: '', reason: '', duration_seconds: '', force: false },
    fields: BAN_FIELDS,
    request: (values) =>
      api.POST('/api/sip-security/bans', {
        body: {
          cidr: address ?? values.cidr,
          reason: values.reason,
          duration_seconds: values.duration_seconds.trim() === '' ? null : Number(values.duration_seconds),
          force: values.force,
        },
      }),
    refusal: { failed: 'Ban refused' },
    refresh: ['sip'],
    onAdded: (ban, values) => onBanned(networkNotice(address ?? values.cidr, ban.cidr, 'banned')),
  });

  return (
    <AddForm
      form={form}
      title={address ? 'Ban this address' : 'Add a ban'}
      headingLevel={3}
      submitLabel={address ? `Ban ${address}` : 'Add ban'}
      errors={[...form.formErrors, ...(address ? (form.fieldErrors.cidr ?? []) : [])]}
    >
      {!address && <Field label="CIDR to ban" placeholder="203.0.113.0/24" required {...form.field('cidr')} />}
      <Field label="Reason" required {...form.field('reason')} />
      <Field
        label="Duration in seconds"
        inputMode="numeric"
        hint="Empty: until lifted"
        {...form.field('duration_seconds')}
      />
      {!address && (
        <WideRangeBox verb="Ban" checked={form.values.force} onChange={(force) => form.change('force', force)} />
      )}
    </AddForm>
  );
}

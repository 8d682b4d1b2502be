import { useQueryClient } from '@tanstack/react-query';
import { FormEvent, useState } from 'react';
import { api } from '../api/client';
import { useApiForm } from '../api/use-api-form';
import { Field, FormErrors } from '../components/field';
import { PasswordRules } from '../components/password-rules';
import { SESSIONS_QUERY_KEY } from './account-sessions';

const FIELDS = ['current_password', 'new_password'] as const;
type FieldName = (typeof FIELDS)[number];

/** Changes the password, knowing the current one; the API ends every other session of the user. */
export function PasswordSection() {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<FieldName, string>>({ current_password: '', new_password: '' });
  const { submitting, fieldErrors, formErrors, send } = useApiForm(FIELDS);
  const [notice, setNotice] = useState('');

  const set = (name: FieldName) => (event: { target: { value: string } }) =>
    setValues((previous) => ({ ...previous, [name]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setNotice('');
    const sent = await send(() => api.POST('/api/auth/password/change', { body: values }), {
      failed: 'The change failed',
    });
    if (!sent) return;
    setValues({ current_password: '', new_password: '' });
    setNotice('Your password has been changed. You stay signed in here; your other sessions have ended.');
    void queryClient.invalidateQueries({ queryKey: SESSIONS_QUERY_KEY });
  };

  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">Change your password</h2>
      <p role="status" className="notice">
        {notice}
      </p>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <FormErrors messages={formErrors} />
        <Field
          label="Current password"
          type="password"
          name="current_password"
          autoComplete="current-password"
          required
          value={values.current_password}
          onChange={set('current_password')}
          errors={fieldErrors.current_password}
        />
        <Field
          label="New password"
          type="password"
          name="new_password"
          autoComplete="new-password"
          required
          value={values.new_password}
          onChange={set('new_password')}
          errors={fieldErrors.new_password}
          hint={<PasswordRules password={values.new_password} />}
        />
        <button type="submit" className="primary" disabled={submitting}>
          {submitting ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}

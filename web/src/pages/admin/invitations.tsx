import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useEffect, useState } from 'react';
import { api, dataOrThrow, Schemas, totalCount } from '../../api/client';
import { useApiForm } from '../../api/use-api-form';
import { ConfirmButton } from '../../components/confirm-button';
import { Field, FormErrors } from '../../components/field';
import { Pager } from '../../components/pager';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../components/states';
import { formatTime } from '../../format';

type Invitation = Schemas['InvitationResponseDto'];

const PAGE_SIZE = 50;

/** Invite by e-mail (optionally as an administrator), and the invitations sent, newest first, each revocable. */
export function InvitationsPage() {
  const queryClient = useQueryClient();
  const [skip, setSkip] = useState(0);
  const [email, setEmail] = useState('');
  const [asSuperuser, setAsSuperuser] = useState(false);
  const { submitting: sending, fieldErrors, formErrors, send } = useApiForm(['email'] as const);
  const [notice, setNotice] = useState('');
  useEffect(() => {
    document.title = 'Invitations · regshield';
  }, []);

  const invitations = useQuery({
    queryKey: ['invitations', skip],
    queryFn: async () => {
      const result = await api.GET('/api/admin/invitations', { params: { query: { skip, limit: PAGE_SIZE } } });
      return { invitations: dataOrThrow(result), total: totalCount(result.response) };
    },
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setNotice('');
    const sent = await send(() => api.POST('/api/admin/invitations', { body: { email, is_superuser: asSuperuser } }), {
      failed: 'The invitation failed',
      byStatus: { 409: () => ({ fields: { email: ['An account with this e-mail address already exists.'] } }) },
    });
    if (!sent?.data) return;
    setNotice(`Invitation sent to ${sent.data.email}.`);
    setEmail('');
    setAsSuperuser(false);
    void queryClient.invalidateQueries({ queryKey: ['invitations'] });
  };

  const revoke = useMutation({
    mutationFn: async (invitation: Invitation) => {
      const result = await api.DELETE('/api/admin/invitations/{id}', { params: { path: { id: invitation.id } } });
      if (!result.response.ok) dataOrThrow(result);
      return invitation;
    },
    onSuccess: (invitation) => {
      setNotice(`Invitation to ${invitation.email} revoked.`);
      void queryClient.invalidateQueries({ queryKey: ['invitations'] });
    },
  });

  const shown = invitations.data?.invitations ?? [];
  return (
    <>
      <h1>Invitations</h1>
      <section aria-labelledby="invite-heading">
        <h2 id="invite-heading">Invite someone</h2>
        <p>
          The person gets an e-mail with a link to choose a name and a password; the account is active at once, whatever
          the registration mode.
        </p>
        <form onSubmit={(event) => void submit(event)} noValidate>
          <FormErrors messages={formErrors} />
          <Field
            label="Email to invite"
            type="email"
            name="email"
            autoComplete="off"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            errors={fieldErrors.email}
          />
          <div className="field">
            <label className="check">
              <input type="checkbox" checked={asSuperuser} onChange={(event) => setAsSuperuser(event.target.checked)} />
              As administrator
            </label>
          </div>
          <button type="submit" className="primary" disabled={sending}>
            {sending ? 'Sending…' : 'Send invitation'}
          </button>
        </form>
      </section>
      <p role="status" className="notice">
        {notice}
      </p>
      {revoke.isError && <ErrorMessage error={revoke.error} />}
      <h2>Sent</h2>
      {invitations.isPending && <Loading what="invitations" />}
      {invitations.isError && <ErrorMessage error={invitations.error} />}
      {invitations.data && shown.length === 0 && <Empty>No invitation has been sent.</Empty>}
      {shown.length > 0 && (
        <TableRegion label="Invitations">
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Sent</th>
                <th scope="col">Expires</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((invitation) => (
                <tr key={invitation.id}>
                  <td data-label="Email">{invitation.email}</td>
                  <td data-label="Role">{invitation.is_superuser ? 'administrator' : 'user'}</td>
                  <td data-label="Status">{invitation.status}</td>
                  <td data-label="Sent">{formatTime(invitation.created_at)}</td>
                  <td data-label="Expires">{formatTime(invitation.expires_at)}</td>
                  <td data-label="Action" className="actions">
                    {invitation.status === 'pending' && (
                      <ConfirmButton
                        label="Revoke"
                        name={`Revoke the invitation to ${invitation.email}`}
                        question={`Revoke the invitation to ${invitation.email}? Its link will stop working.`}
                        disabled={revoke.isPending}
                        onConfirm={() => revoke.mutate(invitation)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {invitations.data && (
        <Pager skip={skip} limit={PAGE_SIZE} total={invitations.data.total} onChange={setSkip} label="Invitations" />
      )}
    </>
  );
}

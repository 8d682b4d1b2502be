import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, dataOrThrow, Schemas } from '../../../api/client';
import { useApiForm } from '../../../api/use-api-form';
import { ConfirmButton } from '../../../components/confirm-button';
import { Field, FormErrors } from '../../../components/field';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../../components/states';
import { formatTime } from '../../../format';
import { SIP_REFRESH_MS } from './refresh';
import { SipPagesNav } from './sip-pages-nav';

type Block = Schemas['AccountBlockDto'];

/** The fields a 422's messages are shown beside. */
const BLOCK_FIELDS = ['username', 'domain', 'reason', 'duration_seconds', 'source_ip'] as const;

const EMPTY_FORM = { username: '', domain: '', reason: '', duration: '', sourceIp: '' };

function accountOf(block: Block): string {
  return `${block.username}@${block.domain}`;
}

/** The SIP accounts refused at the proxy (all of it, or one username from one address), added and lifted here. */
export function AccountBlocksPage() {
  const queryClient = useQueryClient();
  const [form, setForm] = useState(EMPTY_FORM);
  const [notice, setNotice] = useState('');
  const { submitting, fieldErrors, formErrors, send } = useApiForm(BLOCK_FIELDS);
  useEffect(() => {
    document.title = 'Account blocks · SIP door · regshield';
  }, []);

  const blocks = useQuery({
    queryKey: ['sip', 'account-blocks'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/account-blocks')),
    refetchInterval: SIP_REFRESH_MS,
  });

  const lift = useMutation({
    mutationFn: async (block: Block) => {
      const result = await api.DELETE('/api/sip-security/account-blocks/{id}', {
        params: { path: { id: block.id } },
      });
      if (!result.response.ok) dataOrThrow(result);
      return block;
    },
    onMutate: () => setNotice(''),
    onSuccess: (block) => {
      setNotice(`Block on ${accountOf(block)} lifted: the proxy accepts it again within a second.`);
      void queryClient.invalidateQueries({ queryKey: ['sip', 'account-blocks'] });
    },
  });

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setNotice('');
    const body = {
      username: form.username,
      domain: form.domain,
      reason: form.reason,
      duration_seconds: form.duration.trim() === '' ? null : Number(form.duration),
      source_ip: form.sourceIp.trim() === '' ? null : form.sourceIp.trim(),
    };
    const sent = await send(() => api.POST('/api/sip-security/account-blocks', { body }), {
      failed: 'The block was refused',
    });
    if (!sent?.data) return;
    setNotice(`${accountOf(sent.data)} blocked at the proxy within a second.`);
    setForm(EMPTY_FORM);
    void queryClient.invalidateQueries({ queryKey: ['sip', 'account-blocks'] });
  };

  return (
    <>
      <h1>Account blocks</h1>
      <SipPagesNav />
      <p>
        A blocked account has every REGISTER and INVITE answered 403 at the proxy, from every address or, for a block
        with a source, from that address only (a misconfigured phone behind an office&apos;s NAT). A credential
        compromise blocks its account until lifted; a trusted source&apos;s failing username is blocked from it as long
        as a ban would last.
      </p>
      <p role="status" className="notice">
        {notice}
      </p>
      {lift.isError && <ErrorMessage error={lift.error} />}
      {blocks.isPending && <Loading what="the account blocks" />}
      {blocks.isError && <ErrorMessage error={blocks.error} />}
      {blocks.data && blocks.data.length === 0 && <Empty>No account is blocked.</Empty>}
      {blocks.data && blocks.data.length > 0 && (
        <TableRegion label="Account blocks">
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">From</th>
                <th scope="col">Reason</th>
                <th scope="col">Made by</th>
                <th scope="col">Since</th>
                <th scope="col">Ends</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {blocks.data.map((block) => (
                <tr key={block.id}>
                  <td data-label="Account">{accountOf(block)}</td>
                  <td data-label="From">
                    {block.source_ip ? (
                      <Link href={`/sip/sources/${encodeURIComponent(block.source_ip)}`}>{block.source_ip}</Link>
                    ) : (
                      'Every address'
                    )}
                  </td>
                  <td data-label="Reason">{block.reason}</td>
                  <td data-label="Made by">
                    {block.source === 'manual' ? (
                      'An admin'
                    ) : (
                      <span>
                        The rules
                        {block.alert_id !== null && (
                          <>
                            {' '}
                            (<Link href="/sip/account-alerts">alert #{block.alert_id}</Link>)
                          </>
                        )}
                      </span>
                    )}
                  </td>
                  <td data-label="Since">{formatTime(block.created_at)}</td>
                  <td data-label="Ends">{block.expires_at ? formatTime(block.expires_at) : 'When lifted'}</td>
                  <td className="actions">
                    <ConfirmButton
                      label="Lift"
                      name={`Lift the block on ${accountOf(block)}${block.source_ip ? ` from ${block.source_ip}` : ''}`}
                      question={`Lift the block on ${accountOf(block)}? The proxy accepts it again within a second.`}
                      disabled={lift.isPending}
                      onConfirm={() => lift.mutate(block)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <form className="inline-form" onSubmit={(event) => void add(event)} aria-label="Block an account">
        <h2>Block an account</h2>
        <FormErrors messages={formErrors} />
        <Field
          label="Username"
          name="username"
          required
          placeholder="1000"
          value={form.username}
          onChange={(e) => setForm({ ...form, username: e.target.value })}
          errors={fieldErrors.username}
        />
        <Field
          label="Domain"
          name="domain"
          required
          placeholder="sip.example.com"
          value={form.domain}
          onChange={(e) => setForm({ ...form, domain: e.target.value })}
          errors={fieldErrors.domain}
        />
        <Field
          label="Reason"
          name="reason"
          required
          placeholder="Password leaked"
          value={form.reason}
          onChange={(e) => setForm({ ...form, reason: e.target.value })}
          errors={fieldErrors.reason}
        />
        <Field
          label="Duration (seconds)"
          name="duration_seconds"
          inputMode="numeric"
          hint="Empty: until lifted"
          value={form.duration}
          onChange={(e) => setForm({ ...form, duration: e.target.value })}
          errors={fieldErrors.duration_seconds}
        />
        <Field
          label="Only from address"
          name="source_ip"
          hint="Empty: from every address"
          value={form.sourceIp}
          onChange={(e) => setForm({ ...form, sourceIp: e.target.value })}
          errors={fieldErrors.source_ip}
        />
        <button type="submit" className="primary" disabled={submitting}>
          Block account
        </button>
      </form>
    </>
  );
}

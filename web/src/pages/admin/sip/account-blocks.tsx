import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, dataOrThrow, Schemas } from '../../../api/client';
import { AddForm } from '../../../components/add-form';
import { Field } from '../../../components/field';
import { RemovableRows } from '../../../components/removable-rows';
import { useAddForm } from '../../../components/use-add-form';
import { formatTime } from '../../../format';
import { SIP_REFRESH_MS } from './refresh';
import { SipPagesNav } from './sip-pages-nav';

type Block = Schemas['AccountBlockDto'];

/** The fields a 422's messages are shown beside. */
const BLOCK_FIELDS = ['username', 'domain', 'reason', 'duration_seconds', 'source_ip'] as const;

const EMPTY_FORM = { username: '', domain: '', reason: '', duration_seconds: '', source_ip: '' };

function accountOf(block: Block): string {
  return `${block.username}@${block.domain}`;
}

/** The SIP accounts refused at the proxy (all of it, or one username from one address), added and lifted here. */
export function AccountBlocksPage() {
  const [notice, setNotice] = useState('');
  useEffect(() => {
    document.title = 'Account blocks · SIP door · regshield';
  }, []);

  const blocks = useQuery({
    queryKey: ['sip', 'account-blocks'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/account-blocks')),
    refetchInterval: SIP_REFRESH_MS,
  });

  const form = useAddForm({
    empty: EMPTY_FORM,
    fields: BLOCK_FIELDS,
    request: (values) =>
      api.POST('/api/sip-security/account-blocks', {
        body: {
          username: values.username,
          domain: values.domain,
          reason: values.reason,
          duration_seconds: values.duration_seconds.trim() === '' ? null : Number(values.duration_seconds),
          source_ip: values.source_ip.trim() === '' ? null : values.source_ip.trim(),
        },
      }),
    refusal: { failed: 'The block was refused' },
    refresh: ['sip', 'account-blocks'],
    onSubmitting: () => setNotice(''),
    onAdded: (block) => setNotice(`${accountOf(block)} blocked at the proxy within a second.`),
  });

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
      <RemovableRows
        rows={blocks}
        loading="the account blocks"
        empty="No account is blocked."
        label="Account blocks"
        stacked
        columns={[
          { heading: 'Account', cell: accountOf },
          {
            heading: 'From',
            cell: (block) =>
              block.source_ip ? (
                <Link href={`/sip/sources/${encodeURIComponent(block.source_ip)}`}>{block.source_ip}</Link>
              ) : (
                'Every address'
              ),
          },
          { heading: 'Reason', cell: (block) => block.reason },
          {
            heading: 'Made by',
            cell: (block) =>
              block.source === 'manual' ? (
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
              ),
          },
          { heading: 'Since', cell: (block) => formatTime(block.created_at) },
          { heading: 'Ends', cell: (block) => (block.expires_at ? formatTime(block.expires_at) : 'When lifted') },
        ]}
        removal={(block) => ({
          label: 'Lift',
          name: `Lift the block on ${accountOf(block)}${block.source_ip ? ` from ${block.source_ip}` : ''}`,
          question: `Lift the block on ${accountOf(block)}? The proxy accepts it again within a second.`,
        })}
        remove={(block) => api.DELETE('/api/sip-security/account-blocks/{id}', { params: { path: { id: block.id } } })}
        refresh={['sip', 'account-blocks']}
        onRemoving={() => setNotice('')}
        onRemoved={(block) =>
          setNotice(`Block on ${accountOf(block)} lifted: the proxy accepts it again within a second.`)
        }
      />
      <AddForm form={form} title="Block an account" headingLevel={2} submitLabel="Block account">
        <Field label="Username" required placeholder="1000" {...form.field('username')} />
        <Field label="Domain" required placeholder="sip.example.com" {...form.field('domain')} />
        <Field label="Reason" required placeholder="Password leaked" {...form.field('reason')} />
        <Field
          label="Duration (seconds)"
          inputMode="numeric"
          hint="Empty: until lifted"
          {...form.field('duration_seconds')}
        />
        <Field label="Only from address" hint="Empty: from every address" {...form.field('source_ip')} />
      </AddForm>
    </>
  );
}

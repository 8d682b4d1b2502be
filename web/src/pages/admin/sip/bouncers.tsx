import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, dataOrThrow, Schemas } from '../../../api/client';
import { AddForm } from '../../../components/add-form';
import { Field } from '../../../components/field';
import { RemovableRows } from '../../../components/removable-rows';
import { useAddForm } from '../../../components/use-add-form';
import { formatTime } from '../../../format';
import { SIP_REFRESH_MS } from './refresh';
import { SipPagesNav } from './sip-pages-nav';

type CreatedBouncer = Schemas['CreatedBouncerDto'];

/**
 * A key just created: shown this once (the API keeps only its hash), with a copy button and the advice to
 * copy it now. It lives in this page's state only, so leaving or reloading the page forgets it.
 */
function NewKey({ created, onDone }: { created: CreatedBouncer; onDone: () => void }) {
  const [copied, setCopied] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('Copied.');
    } catch {
      setCopied('The browser refused to copy: select the key and copy it by hand.');
    }
  };
  return (
    <section className="card" aria-labelledby="new-key-heading">
      <h2 id="new-key-heading" ref={heading} tabIndex={-1}>
        The key of {created.name}
      </h2>
      <p>
        Copy it now: it is shown this once and stored only as a hash. The bouncer sends it as <code>X-Api-Key</code> to{' '}
        <code>/v1/decisions/stream</code> or the ban export.
      </p>
      <p>
        <code className="secret">{created.key}</code>
      </p>
      <div className="toolbar">
        <button type="button" onClick={() => void copy()}>
          Copy the key
        </button>
        <button type="button" onClick={onDone}>
          I have copied it
        </button>
        <span role="status" className="notice">
          {copied}
        </span>
      </div>
    </section>
  );
}

/** Keys of the firewall bouncers that pull the bans: when each last pulled, creating one, revoking one. */
export function BouncersPage() {
  const [notice, setNotice] = useState('');
  const [created, setCreated] = useState<CreatedBouncer | undefined>();
  useEffect(() => {
    document.title = 'Bouncer keys · SIP door · regshield';
  }, []);

  const bouncers = useQuery({
    queryKey: ['sip', 'bouncers'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/bouncers')),
    refetchInterval: SIP_REFRESH_MS,
  });

  const form = useAddForm({
    empty: { name: '' },
    fields: ['name'] as const,
    request: (values) => api.POST('/api/sip-security/bouncers', { body: values }),
    refusal: { failed: 'The key was refused' },
    refresh: ['sip', 'bouncers'],
    onSubmitting: () => setNotice(''),
    onAdded: (bouncer) => setCreated(bouncer),
  });

  return (
    <>
      <h1>Bouncer keys</h1>
      <SipPagesNav />
      <p>
        A firewall bouncer (CrowdSec&apos;s, or a script reading the ban export) pulls the bans with one of these keys,
        so that banned sources are dropped before they reach the proxy.
      </p>
      <p role="status" className="notice">
        {notice}
      </p>
      {created && <NewKey created={created} onDone={() => setCreated(undefined)} />}
      <RemovableRows
        rows={bouncers}
        loading="the bouncer keys"
        empty="No bouncer key is in force."
        label="Bouncer keys"
        stacked
        columns={[
          { heading: 'Name', cell: (bouncer) => bouncer.name },
          { heading: 'Key begins with', cell: (bouncer) => <code>{bouncer.key_prefix}…</code> },
          { heading: 'Created', cell: (bouncer) => formatTime(bouncer.created_at) },
          {
            heading: 'Last pull',
            cell: (bouncer) => (bouncer.last_pull_at ? formatTime(bouncer.last_pull_at) : 'Never'),
          },
        ]}
        removal={(bouncer) => ({
          label: 'Revoke',
          name: `Revoke the key of ${bouncer.name}`,
          question: `Revoke the key of ${bouncer.name}? Its bouncer's next pull is refused.`,
        })}
        remove={(bouncer) => api.DELETE('/api/sip-security/bouncers/{id}', { params: { path: { id: bouncer.id } } })}
        refresh={['sip', 'bouncers']}
        onRemoved={(bouncer) => {
          setNotice(`The key of ${bouncer.name} is revoked; its next request is refused.`);
          if (created?.id === bouncer.id) setCreated(undefined);
        }}
      />
      <AddForm form={form} title="Create a bouncer key" headingLevel={2} submitLabel="Create key">
        <Field label="Bouncer name" placeholder="edge firewall fw1" required {...form.field('name')} />
      </AddForm>
    </>
  );
}

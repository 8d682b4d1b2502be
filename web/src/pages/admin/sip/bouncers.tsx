import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useEffect, useRef, useState } from 'react';
import { api, dataOrThrow, Schemas } from '../../../api/client';
import { useApiForm } from '../../../api/use-api-form';
import { ConfirmButton } from '../../../components/confirm-button';
import { Field, FormErrors } from '../../../components/field';
import { Empty, ErrorMessage, Loading, TableRegion } from '../../../components/states';
import { formatTime } from '../../../format';
import { SIP_REFRESH_MS } from './refresh';
import { SipPagesNav } from './sip-pages-nav';

type Bouncer = Schemas['BouncerDto'];
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
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [notice, setNotice] = useState('');
  const [created, setCreated] = useState<CreatedBouncer | undefined>();
  const { submitting, fieldErrors, formErrors, send } = useApiForm(['name'] as const);
  useEffect(() => {
    document.title = 'Bouncer keys · SIP door · regshield';
  }, []);

  const bouncers = useQuery({
    queryKey: ['sip', 'bouncers'],
    queryFn: async () => dataOrThrow(await api.GET('/api/sip-security/bouncers')),
    refetchInterval: SIP_REFRESH_MS,
  });

  const revoke = useMutation({
    mutationFn: async (bouncer: Bouncer) => {
      const result = await api.DELETE('/api/sip-security/bouncers/{id}', { params: { path: { id: bouncer.id } } });
      if (!result.response.ok) dataOrThrow(result);
      return bouncer;
    },
    onSuccess: (bouncer) => {
      setNotice(`The key of ${bouncer.name} is revoked; its next request is refused.`);
      if (created?.id === bouncer.id) setCreated(undefined);
      void queryClient.invalidateQueries({ queryKey: ['sip', 'bouncers'] });
    },
  });

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setNotice('');
    const sent = await send(() => api.POST('/api/sip-security/bouncers', { body: { name } }), {
      failed: 'The key was refused',
    });
    if (!sent?.data) return;
    setCreated(sent.data);
    setName('');
    void queryClient.invalidateQueries({ queryKey: ['sip', 'bouncers'] });
  };

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
      {revoke.isError && <ErrorMessage error={revoke.error} />}
      {bouncers.isPending && <Loading what="the bouncer keys" />}
      {bouncers.isError && <ErrorMessage error={bouncers.error} />}
      {bouncers.data && bouncers.data.length === 0 && <Empty>No bouncer key is in force.</Empty>}
      {bouncers.data && bouncers.data.length > 0 && (
        <TableRegion label="Bouncer keys">
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key begins with</th>
                <th scope="col">Created</th>
                <th scope="col">Last pull</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {bouncers.data.map((bouncer) => (
                <tr key={bouncer.id}>
                  <td data-label="Name">{bouncer.name}</td>
                  <td data-label="Key begins with">
                    <code>{bouncer.key_prefix}…</code>
                  </td>
                  <td data-label="Created">{formatTime(bouncer.created_at)}</td>
                  <td data-label="Last pull">{bouncer.last_pull_at ? formatTime(bouncer.last_pull_at) : 'Never'}</td>
                  <td className="actions">
                    <ConfirmButton
                      label="Revoke"
                      name={`Revoke the key of ${bouncer.name}`}
                      question={`Revoke the key of ${bouncer.name}? Its bouncer's next pull is refused.`}
                      disabled={revoke.isPending}
                      onConfirm={() => revoke.mutate(bouncer)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <form className="inline-form" onSubmit={(event) => void create(event)} aria-label="Create a bouncer key">
        <h2>Create a bouncer key</h2>
        <FormErrors messages={formErrors} />
        <Field
          label="Bouncer name"
          name="name"
          placeholder="edge firewall fw1"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          errors={fieldErrors.name}
        />
        <button type="submit" className="primary" disabled={submitting}>
          Create key
        </button>
      </form>
    </>
  );
}

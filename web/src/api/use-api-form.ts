import { useState } from 'react';
import { ApiErrorBody, errorMessages, messagesByField } from './client';

/** What openapi-fetch resolves to. */
export interface ApiResult<T> {
  data?: T;
  error?: ApiErrorBody;
  response: Response;
}

/** A refusal said in the form's own words: messages beside fields, and the form's own. */
export interface Refusal<F extends string> {
  fields?: Partial<Record<F, string[]>>;
  form?: string[];
}

export interface RefusalWords<F extends string> {
  /** "Sign-up failed": said, with the status, for a refusal that carries no message. */
  failed: string;
  /** "Too many sign-ups from this address": a 429, followed by when to try again. */
  tooMany?: string;
  /** Statuses this form says in its own words, from the API's messages. */
  byStatus?: Partial<Record<number, (messages: string[]) => Refusal<F>>>;
  /** Told of every refusal first (e.g. a spent CAPTCHA payload is renewed). */
  onRefused?: () => void;
}

const UNREACHABLE = 'The service cannot be reached. Check your connection and try again.';

/**
 * The submit of a form backed by one API call: while it runs, `submitting`; on a refusal, the 422's
 * messages beside the fields they name (the rest at the top of the form), a 429 with its Retry-After, other
 * statuses in the form's words or the API's; a network failure said as such. `send` resolves to the
 * response's data on success (undefined for a bodiless 2xx) wrapped in `{ data }`, or to undefined once the
 * refusal is shown.
 */
export function useApiForm<F extends string>(fields: readonly F[]) {
  const [submitting, setSubmitting] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<F, string[]>>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);

  const show = (refusal: Refusal<F>) => {
    setFieldErrors(refusal.fields ?? {});
    setFormErrors(refusal.form ?? []);
  };

  const refusalOf = (result: ApiResult<unknown>, words: RefusalWords<F>): Refusal<F> => {
    const { status, headers } = result.response;
    const messages = errorMessages(result.error, `${words.failed} (${status}).`);
    const own = words.byStatus?.[status];
    if (own) return own(messages);
    if (status === 422) {
      const split = messagesByField(messages, fields);
      return { fields: split.fields, form: split.other };
    }
    if (status === 429 && words.tooMany) {
      return { form: [`${words.tooMany}. Try again in ${headers.get('Retry-After') ?? 'a few'} seconds.`] };
    }
    return { form: messages };
  };

  const send = async <T>(
    request: () => Promise<ApiResult<T>>,
    words: RefusalWords<F>,
  ): Promise<{ data: T | undefined } | undefined> => {
    setSubmitting(true);
    show({});
    try {
      const result = await request();
      if (result.response.ok) return { data: result.data };
      words.onRefused?.();
      show(refusalOf(result, words));
      return undefined;
    } catch {
      show({ form: [UNREACHABLE] });
      return undefined;
    } finally {
      setSubmitting(false);
    }
  };

  return { submitting, fieldErrors, formErrors, send, showRefusal: show };
}

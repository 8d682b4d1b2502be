import { QueryKey, useQueryClient } from '@tanstack/react-query';
import { ChangeEvent, FormEvent, useState } from 'react';
import { ApiResult, RefusalWords, useApiForm } from '../api/use-api-form';

/** The keys of the values typed in a text input (not a box ticked). */
type TextKeys<V> = { [K in keyof V]: V[K] extends string ? K : never }[keyof V];

interface AddFormOptions<V, F extends string, T> {
  /** The values of a blank form, which it returns to once something is added. */
  empty: V;
  /** The values whose refusals (a 422) are shown beside their input, named as the API names them. */
  fields: readonly F[];
  request: (values: V) => Promise<ApiResult<T>>;
  refusal: RefusalWords<F>;
  /** Read again once something is added: the list, and whatever else the addition changes. */
  refresh: QueryKey;
  onSubmitting?: () => void;
  onAdded: (added: T, values: V) => void;
}

/**
 * A form that adds one row to a listing (useApiForm for its refusals): its values, the props that tie an
 * input to one of them and to its errors, and the submit, which empties the form and reads the listing again
 * once the API has taken it.
 */
export function useAddForm<V extends object, F extends string, T>({
  empty,
  fields,
  request,
  refusal,
  refresh,
  onSubmitting,
  onAdded,
}: AddFormOptions<V, F, T>) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState(empty);
  const { submitting, fieldErrors, formErrors, send } = useApiForm(fields);

  const change = <K extends keyof V>(name: K, value: V[K]) => setValues((previous) => ({ ...previous, [name]: value }));

  /** The name, value, onChange and errors of the Field for one value, named as the API names it. */
  const field = <K extends F & TextKeys<V>>(name: K) => ({
    name,
    value: values[name] as string,
    onChange: (event: ChangeEvent<HTMLInputElement>) => change(name, event.target.value as V[K]),
    errors: fieldErrors[name],
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    onSubmitting?.();
    const sent = await send(() => request(values), refusal);
    if (!sent?.data) return;
    onAdded(sent.data, values);
    setValues(empty);
    void queryClient.invalidateQueries({ queryKey: refresh });
  };

  return { values, change, field, submit, submitting, fieldErrors, formErrors };
}

import { FormEvent, useState } from 'react';

/**
 * A listing's filter form: the values being typed (`draft`), the ones applied to the listing (`filters`),
 * and its page (`skip`, back to the first page whenever the filters change).
 */
export function useFilterForm<F extends { [K in keyof F]: string }>(empty: F) {
  const [draft, setDraft] = useState<F>(empty);
  const [filters, setFilters] = useState<F>(empty);
  const [skip, setSkip] = useState(0);

  /** Sets one value of the draft. */
  const change = <K extends keyof F>(name: K, value: F[K]) => setDraft((previous) => ({ ...previous, [name]: value }));
  /** The onChange of a text input for one value of the draft. */
  const edit = (name: keyof F) => (event: { target: { value: string } }) =>
    change(name, event.target.value as F[keyof F]);
  /** Applies these filters at once (a link in a row, "Clear"), the form showing them too. */
  const applyFilters = (next: F) => {
    setSkip(0);
    setDraft(next);
    setFilters(next);
  };
  /** The form's onSubmit: applies what was typed. */
  const submit = (event: FormEvent) => {
    event.preventDefault();
    applyFilters(draft);
  };
  const clear = () => applyFilters(empty);

  return { draft, filters, skip, setSkip, change, edit, applyFilters, submit, clear };
}

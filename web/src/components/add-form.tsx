import { FormEvent, ReactNode } from 'react';
import { FormErrors } from './field';

interface AddFormProps {
  /** useAddForm's answer: the submit, and the refusals and progress it reports. */
  form: { formErrors: string[]; submitting: boolean; submit: (event: FormEvent) => Promise<void> };
  /** The form's heading and its accessible name. */
  title: string;
  /** 2 on a page of its own, 3 inside a section of a page. */
  headingLevel: 2 | 3;
  submitLabel: string;
  /** Shown above the inputs instead of the form's own refusals, e.g. with those of a field the form leaves out. */
  errors?: string[];
  children: ReactNode;
}

/** The inline form below a listing that adds a row to it (see useAddForm). */
export function AddForm({ form, title, headingLevel, submitLabel, errors, children }: AddFormProps) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <form className="inline-form" onSubmit={(event) => void form.submit(event)} aria-label={title}>
      <Heading>{title}</Heading>
      <FormErrors messages={errors ?? form.formErrors} />
      {children}
      {/* Disabled until the API has answered: a second click would send the same row again. */}
      <button type="submit" className="primary" disabled={form.submitting}>
        {submitLabel}
      </button>
    </form>
  );
}

import { ReactNode } from 'react';

/** A titled part of a page, named by its heading for screen readers. */
export function Panel({ title, children }: { title: string; children: ReactNode }) {
  const id = `section-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** Words the page only quotes (usernames, user agents): each as typed, in a list, or a dash when none. */
export function QuotedList({ items, label }: { items: string[]; label: string }) {
  if (items.length === 0) return <>—</>;
  return (
    <ul className="quoted" aria-label={label}>
      {items.map((item) => (
        <li key={item}>
          <code>{item}</code>
        </li>
      ))}
    </ul>
  );
}

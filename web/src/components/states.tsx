import { ReactNode } from 'react';

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="muted">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function ErrorMessage({ error }: { error: unknown }) {
  return (
    <p role="alert" className="alert">
      {error instanceof Error ? error.message : 'Something went wrong'}
    </p>
  );
}

/** A wide table scrolls sideways on a phone; the region is named so keyboard users can reach and scroll it. */
export function TableRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-region" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

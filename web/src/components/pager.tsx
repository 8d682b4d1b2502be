interface PagerProps {
  skip: number;
  limit: number;
  total: number;
  onChange: (skip: number) => void;
  label: string;
}

/** Previous / next over a listing's X-Total-Count. */
export function Pager({ skip, limit, total, onChange, label }: PagerProps) {
  if (total <= limit && skip === 0) return null;
  const last = Math.min(skip + limit, total);
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={() => onChange(Math.max(0, skip - limit))} disabled={skip === 0}>
        Previous page
      </button>
      <span>
        {total === 0 ? 0 : skip + 1}–{last} of {total}
      </span>
      <button type="button" onClick={() => onChange(skip + limit)} disabled={last >= total}>
        Next page
      </button>
    </nav>
  );
}

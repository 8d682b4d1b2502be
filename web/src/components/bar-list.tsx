export interface BarItem {
  label: string;
  count: number;
}

/** A label such as "unanswered_challenges" may wrap after an underscore, never inside a word. */
function Breakable({ text }: { text: string }) {
  const parts = text.split('_');
  return (
    <>
      {parts.map((part, index) => (
        <span key={index}>
          {part}
          {index < parts.length - 1 && (
            <>
              _<wbr />
            </>
          )}
        </span>
      ))}
    </>
  );
}

/** Counts as horizontal bars, largest first; the numbers are text, the bars only illustrate them. */
export function BarList({ title, items, empty }: { title: string; items: BarItem[]; empty: string }) {
  const max = Math.max(1, ...items.map((item) => item.count));
  return (
    <section className="card" aria-labelledby={`${title}-heading`.replace(/\W+/g, '-')}>
      <h3 id={`${title}-heading`.replace(/\W+/g, '-')}>{title}</h3>
      {items.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : (
        <ul className="bar-list">
          {items.map((item) => (
            <li key={item.label}>
              <span className="bar-label">
                <Breakable text={item.label} />
              </span>
              <span className="bar-track" aria-hidden="true">
                <span className="bar" style={{ width: `${(100 * item.count) / max}%` }} />
              </span>
              <span className="bar-count">{item.count}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

import { useEffect, useRef, useState } from 'react';

interface ConfirmButtonProps {
  /** The button's words, e.g. "Sign out everywhere". */
  label: string;
  /** The accessible name, when the words alone would not say which item (a row of a table). */
  name?: string;
  /** The question asked before doing it, e.g. "Sign alice@example.com out of every session?". */
  question: string;
  disabled?: boolean;
  onConfirm: () => void;
}

/**
 * A destructive action done on a second, deliberate click: the first shows the question with "Yes, …" and
 * "Cancel", and moves the focus to "Yes, …" so a keyboard user hears the question; Cancel and Escape return.
 */
export function ConfirmButton({ label, name, question, disabled, onConfirm }: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const start = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (wasAsking.current) start.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button
        ref={start}
        type="button"
        className="danger"
        aria-label={name}
        disabled={disabled}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  }
  return (
    <div
      className="confirm"
      role="group"
      aria-label={question}
      onKeyDown={(event) => {
        if (event.key === 'Escape') setAsking(false);
      }}
    >
      <p>{question}</p>
      <button
        ref={yes}
        type="button"
        className="danger"
        aria-label={name && `Yes, ${lowerFirst(name)}`}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {lowerFirst(label)}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </div>
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** "0.0.0.0/4 banned." and, when host bits were cleared, what was typed: the ban is on the network. */
export function networkNotice(typed: string, stored: string, done: string): string {
  const written = typed.trim();
  return written === stored || `${written}/32` === stored || `${written}/128` === stored
    ? `${stored} ${done}.`
    : `${stored} ${done} (the network of ${written}).`;
}

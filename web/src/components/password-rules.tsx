/** The service's password rules, checked as the user types; the service checks them again. */
const PASSWORD_RULES: Array<{ text: string; met: (password: string) => boolean }> = [
  { text: '8 to 200 characters', met: (p) => p.length >= 8 && p.length <= 200 },
  { text: 'an upper-case letter', met: (p) => /\p{Lu}/u.test(p) },
  { text: 'a lower-case letter', met: (p) => /\p{Ll}/u.test(p) },
  { text: 'a digit', met: (p) => /\d/.test(p) },
];

/** The rules as a list ticked off for the password typed so far: a Field's hint. */
export function PasswordRules({ password }: { password: string }) {
  return (
    <ul className="rules" aria-label="Password rules">
      {PASSWORD_RULES.map((rule) => {
        const met = rule.met(password);
        return (
          <li key={rule.text} className={met ? 'met' : 'unmet'}>
            <span aria-hidden="true">{met ? '✓' : '•'}</span> {rule.text}
            <span className="visually-hidden">{met ? ' (met)' : ' (not yet)'}</span>
          </li>
        );
      })}
    </ul>
  );
}

/** The API's `"force": true`: take a range wider than the minimum prefix, which it refuses otherwise. */
export function WideRangeBox({
  verb,
  checked,
  onChange,
}: {
  verb: 'Ban' | 'Allowlist';
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <div className="field checkbox">
      <label>
        <input type="checkbox" name="force" checked={checked} onChange={(event) => onChange(event.target.checked)} />
        {verb} it even if it is wider than the minimum prefix (SIP_MIN_PREFIX_IPV4/IPV6)
      </label>
    </div>
  );
}

import type { InputHTMLAttributes } from 'react';

type Props = {
  name: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** The API's messages for this field (its `field` equals `name`). */
  errors?: readonly string[];
  /** A line of help under the input (e.g. the accepted range). */
  hint?: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'name' | 'value' | 'onChange' | 'id'>;

/** A labelled Bootstrap input with its API errors right under it. */
export function TextField({ name, label, value, onChange, errors = [], hint, className, ...inputProps }: Props) {
  const id = `field-${name}`;
  const invalid = errors.length > 0;
  return (
    <div className={className ?? 'mb-3'}>
      <label htmlFor={id} className="form-label">
        {label}
      </label>
      <input
        {...inputProps}
        id={id}
        name={name}
        className={`form-control${invalid ? ' is-invalid' : ''}`}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={invalid || undefined}
        aria-describedby={[invalid && `${id}-error`, hint && `${id}-hint`].filter(Boolean).join(' ') || undefined}
      />
      {invalid && (
        <div id={`${id}-error`} className="invalid-feedback">
          {errors.join(' ')}
        </div>
      )}
      {hint && (
        <div id={`${id}-hint`} className="form-text">
          {hint}
        </div>
      )}
    </div>
  );
}

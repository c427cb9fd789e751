'use client';

import { normalizePriceInput } from '@/lib/format';
import { TextField } from './TextField';

/** A dollar amount: typed freely, shown with two decimals once the field loses focus. */
export function PriceField({ value, onChange, errors }: { value: string; onChange: (value: string) => void; errors?: readonly string[] }) {
  return (
    <TextField
      name="price"
      label="Price ($)"
      inputMode="decimal"
      autoComplete="off"
      placeholder="0.00"
      value={value}
      onChange={onChange}
      onBlur={() => onChange(normalizePriceInput(value))}
      errors={errors}
      // The API enforces the range and whole cents; its field error shows under the input.
      hint="From $0.50 to $999,999.99"
    />
  );
}

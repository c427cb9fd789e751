import { useState } from 'react';
import { ApiError, splitErrors } from './errors';
import type { ApiErrorItem } from './types';

/**
 * State of a form that calls the API: pending, and the API's errors split between the
 * form's own fields and one alert. Every form navigates away after a success, so it
 * stays pending then (no second submit while the next page loads).
 */
export function useApiAction(fields: readonly string[] = []) {
  const [errors, setErrors] = useState<ApiErrorItem[]>([]);
  const [pending, setPending] = useState(false);

  async function run<T>(action: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    setPending(true);
    setErrors([]);
    try {
      return { ok: true, value: await action() };
    } catch (error) {
      setErrors(error instanceof ApiError ? error.errors : [{ message: 'Something went wrong' }]);
      setPending(false);
      return { ok: false, error };
    }
  }

  return { run, pending, setPending, setErrors, ...splitErrors(errors, fields) };
}

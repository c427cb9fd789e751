'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { apiRequest } from '@/lib/api-client';
import { normalizePriceInput, parsePriceInput } from '@/lib/format';
import type { Ticket } from '@/lib/types';
import { useApiAction } from '@/lib/use-api-action';
import { ErrorAlert } from './ErrorAlert';
import { PriceField } from './PriceField';
import { TextField } from './TextField';

/** Lists a new ticket, or edits `ticket` when given. */
export function TicketForm({ ticket }: { ticket?: Pick<Ticket, 'id' | 'title' | 'price'> }) {
  const router = useRouter();
  const [title, setTitle] = useState(ticket?.title ?? '');
  const [price, setPrice] = useState(ticket ? normalizePriceInput(String(ticket.price)) : '');
  const { run, pending, byField, general } = useApiAction(['title', 'price']);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const body = { title, price: parsePriceInput(price) };
    const result = await run(() =>
      ticket ? apiRequest<Ticket>('PUT', `/api/tickets/${encodeURIComponent(ticket.id)}`, body) : apiRequest<Ticket>('POST', '/api/tickets', body),
    );
    if (result.ok) {
      router.push(`/tickets/${encodeURIComponent(result.value.id)}`);
      router.refresh();
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate className="col-md-6 col-lg-5">
      <ErrorAlert messages={general} />
      <TextField name="title" label="Title" autoComplete="off" value={title} onChange={setTitle} errors={byField.title} />
      <PriceField value={price} onChange={setPrice} errors={byField.price} />
      <button type="submit" className="btn btn-primary" disabled={pending}>
        {ticket ? 'Save changes' : 'List ticket'}
      </button>
    </form>
  );
}

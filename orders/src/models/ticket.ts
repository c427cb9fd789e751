import mongoose, { Schema } from 'mongoose';

/**
 * Orders' own copy of a ticket, fed by ticket:created / ticket:updated. `_id` is the id the
 * tickets service gave it, so an event and a request name the same document.
 */
export interface TicketAttrs {
  _id: string;
  title: string;
  price: number;
  userId: string;
  version: number;
}

const ticketSchema = new Schema<TicketAttrs>(
  {
    _id: { type: String, required: true },
    title: { type: String, required: true },
    price: { type: Number, required: true },
    userId: { type: String, required: true },
    version: { type: Number, required: true },
  },
  // `version` is the tickets service's counter; mongoose's own __v would be a second one.
  { versionKey: false },
);

export const Ticket = mongoose.model<TicketAttrs>('Ticket', ticketSchema);

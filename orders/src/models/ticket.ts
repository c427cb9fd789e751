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
  /**
   * The order holding the ticket, as tickets last reported it (ticket:updated's orderId;
   * null once released), so a reservation refused by the ticket's lock finds the holder by
   * _id and ends its hold if that is over. It lags the reserving insert by one event hop,
   * which costs nothing: a hold that just began is not over, and the sweeper ends every
   * overdue hold whether or not a buyer comes along.
   */
  heldBy?: string | null;
}

const ticketSchema = new Schema<TicketAttrs>(
  {
    _id: { type: String, required: true },
    title: { type: String, required: true },
    price: { type: Number, required: true },
    userId: { type: String, required: true },
    version: { type: Number, required: true },
    heldBy: { type: String },
  },
  // `version` is the tickets service's counter; mongoose's own __v would be a second one.
  { versionKey: false },
);

export const Ticket = mongoose.model<TicketAttrs>('Ticket', ticketSchema);

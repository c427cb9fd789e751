import { EventEmitter } from 'node:events';
import { Schema } from 'mongoose';

/** Fired after any write that may have stored outbox entries, so the relay sends them now. */
export const outboxSignal = new EventEmitter();
outboxSignal.setMaxListeners(100);

const entrySchema = new Schema(
  { id: { type: String, required: true }, subject: { type: String, required: true }, payload: { type: String, required: true } },
  { _id: false },
);

/**
 * Adds the transactional outbox to a model: an `outbox` array written in the same
 * single-document operation as the change (insert, or a conditional update with `$push`),
 * so the change and its event are stored together or not at all. MongoDB makes a
 * single-document write atomic without transactions, which our test server lacks.
 */
export function outboxPlugin(schema: Schema): void {
  schema.add({ outbox: { type: [entrySchema], default: [], select: true } });
  // Pending events are internal: never part of an API response.
  const hide = (_doc: unknown, ret: Record<string, unknown>) => {
    delete ret.outbox;
    return ret;
  };
  for (const opt of ['toJSON', 'toObject'] as const) {
    const current = schema.get(opt) ?? {};
    const previous = current.transform;
    schema.set(opt, {
      ...current,
      transform: (doc: unknown, ret: Record<string, unknown>, o: unknown) => {
        const out = typeof previous === 'function' ? (previous(doc as never, ret as never, o as never) ?? ret) : ret;
        return hide(doc, out as Record<string, unknown>);
      },
    });
  }
  const kick = function (this: unknown) {
    outboxSignal.emit('written');
  };
  schema.post('save', kick);
  schema.post('insertMany', kick);
  schema.post('findOneAndUpdate', kick);
  schema.post('updateOne', kick);
  schema.post('updateMany', kick);
}

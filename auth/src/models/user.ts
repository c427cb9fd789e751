import mongoose from 'mongoose';

interface UserAttrs {
  /** Already trimmed and lower-cased: the unique index compares exact strings. */
  email: string;
  /** The self-describing scrypt string of services/password.ts, never the password. */
  password: string;
}

const userSchema = new mongoose.Schema<UserAttrs>(
  {
    email: { type: String, required: true, unique: true },
    password: { type: String, required: true },
  },
  {
    toJSON: {
      // The API shape is {id, email}; the hash must never leave the service.
      transform(_doc, ret: Record<string, unknown>) {
        return { id: String(ret._id), email: ret.email };
      },
    },
  },
);

export const User = mongoose.model<UserAttrs>('User', userSchema);


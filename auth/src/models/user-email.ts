import mongoose from 'mongoose';

interface UserEmailAttrs {
  /** The normalised (trimmed, lower-cased) email: looking it up is an `_id` lookup. */
  _id: string;
  userId: mongoose.Types.ObjectId;
}

/**
 * Email → user id. FerretDB answers a query on any other field than `_id` by scanning the
 * whole collection, so sign-in and the sign-up "Email in use" check look the email up here
 * and then read the user by its `_id`. `users.email` stays unique and is what decides who
 * owns an email; this collection is derived from it (see models/user.ts).
 */
export const UserEmail = mongoose.model<UserEmailAttrs>(
  'UserEmail',
  new mongoose.Schema<UserEmailAttrs>(
    {
      _id: { type: String, required: true },
      userId: { type: mongoose.Schema.Types.ObjectId, required: true },
    },
    { versionKey: false },
  ),
  'user-emails',
);

import mongoose, { HydratedDocument } from 'mongoose';
import { isDuplicateKeyError } from '@ticketing/common';
import { UserEmail } from './user-email';

export interface UserAttrs {
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
export type UserDoc = HydratedDocument<UserAttrs>;

/** The emails → user-id entry of a user; idempotent, so every writer may repeat it. */
function recordEmail(email: string, userId: mongoose.Types.ObjectId) {
  return UserEmail.updateOne({ _id: email }, { $set: { userId } }, { upsert: true });
}

/**
 * The user with this (normalised) email, by two `_id` lookups. An unknown email still costs
 * the second lookup (of an id nobody has), so both answers take the same database work.
 */
export async function findUserByEmail(email: string): Promise<UserDoc | null> {
  const entry = await UserEmail.findById(email).lean();
  const user = await User.findById(entry?.userId ?? new mongoose.Types.ObjectId());
  // The entry is derived data: trust the user document's own email.
  return user && user.email === email ? user : null;
}

/** Whether the email has an account: the cheap check before a sign-up spends a hash. */
export async function emailInUse(email: string): Promise<boolean> {
  return (await UserEmail.exists({ _id: email })) !== null;
}

/**
 * Stores a new user, or returns undefined when the email is taken. The unique index on
 * `users.email` decides (no check-then-insert race); the email entry is written after the
 * user, so a user can lack its entry (a crash in between) but an entry never names a user
 * that does not exist. A missing entry is repaired here, when the email is refused, and by
 * `backfillUserEmails` at start.
 */
export async function createUser(email: string, password: string): Promise<UserDoc | undefined> {
  let user: UserDoc;
  try {
    user = await User.create({ email, password });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // Rare (a race, or an owner whose entry is missing): one query by email to repair it.
    const owner = await User.findOne({ email }, { _id: 1 }).lean();
    if (owner) await recordEmail(email, owner._id);
    return undefined;
  }
  await recordEmail(email, user._id);
  return user;
}

/**
 * Gives every user without an email entry its entry: users made before the entries existed,
 * or whose writer died between the two writes. Runs at start, before the service takes
 * requests; it scans both collections once, which is fine there and nowhere else.
 */
export async function backfillUserEmails(): Promise<number> {
  const known = new Set((await UserEmail.find({}, { _id: 1 }).lean()).map((e) => e._id));
  let added = 0;
  for await (const user of User.find({}, { email: 1 }).lean().cursor()) {
    if (known.has(user.email)) continue;
    await recordEmail(user.email, user._id);
    added++;
  }
  return added;
}

// Errors as users see them. Pulumi's dynamic provider host prints `${err}: ${err.stack}` under the stack when a
// provider's check, diff, read or delete fails, and a program's unhandled error (a failed lookup) is printed with its
// stack: both would show the provider's internals (file paths, frames) next to the message. A UserError prints as
// `pulumi-incus: <message>`, which already says what went wrong and what to do.

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "pulumi-incus";
    this.stack = message;
  }

  override toString(): string {
    return this.name;
  }
}

/** The error as a UserError with the same message (a partial failure keeps what it carries: id, properties). */
export function forUser(err: unknown): Error {
  if (err instanceof UserError) return err;
  const e = Object.assign(new UserError(err instanceof Error ? err.message : String(err)), err instanceof Error ? { ...err } : {});
  // Fields a caller reads (an IncusError's status, a partial failure's id and properties) stay; the frames go.
  e.stack = e.message;
  e.name = "pulumi-incus"; // the copy above brought the original's own `name` (IncusError), which would print first
  return e;
}

/** For `.catch` at the provider's boundary (check, diff, read, delete, lookups). */
export function rethrowForUser(err: unknown): never {
  throw forUser(err);
}

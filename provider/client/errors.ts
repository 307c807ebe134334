// One error type for everything the Incus API can answer with, so callers branch on meaning, not on text.

export class IncusError extends Error {
  constructor(
    /** HTTP status, or the operation's error code when the failure came from an async operation. */
    readonly status: number,
    /** Incus's own error text, unchanged. */
    readonly incusMessage: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: ${incusMessage} (HTTP ${status})`);
    this.name = "IncusError";
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isPreconditionFailed(): boolean {
    return this.status === 412;
  }

  /** Incus answers "already exists" with 409, 400 or 500 depending on the kind (reference §3), or fails the operation. */
  get isAlreadyExists(): boolean {
    if (this.status === 409) return true;
    return /already exists|already in use|UNIQUE constraint failed|already in trust store/i.test(this.incusMessage);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof IncusError && err.isNotFound;
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof IncusError && err.isAlreadyExists;
}

export function isPreconditionFailed(err: unknown): boolean {
  return err instanceof IncusError && err.isPreconditionFailed;
}

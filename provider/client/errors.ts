// One error type for everything the Incus API can answer with, so callers branch on meaning, not on text.

export class IncusError extends Error {
  constructor(
    /** HTTP status, or the operation's error code when the failure came from an async operation; 0 when unreachable. */
    readonly status: number,
    /** Incus's own error text, unchanged. */
    readonly incusMessage: string,
    readonly method: string,
    readonly path: string,
    /** What the caller can do about it, when the client knows better than the bare status. */
    readonly hint?: string,
    /** The id of the async operation that failed, when the server accepted the request and its operation failed. */
    readonly operation?: string,
  ) {
    super(`${method} ${path}: ${incusMessage}${status ? ` (HTTP ${status})` : ""}${hint ? `. ${hint}` : ""}`);
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

  /** 501: the URL exists but does not take this method. */
  get isNotImplemented(): boolean {
    return this.status === 501;
  }

  /** 403: not allowed (an untrusted client certificate, or a protected object such as the default project). */
  get isForbidden(): boolean {
    return this.status === 403;
  }

  /** A wait gave up (the client's own 408: the operation may still be running on the server). */
  get isTimeout(): boolean {
    return this.status === 408;
  }

  /** The daemon could not be reached at all (socket missing, connection refused, TLS refused). */
  get isUnreachable(): boolean {
    return this.status === 0;
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

export function isNotImplemented(err: unknown): boolean {
  return err instanceof IncusError && err.isNotImplemented;
}

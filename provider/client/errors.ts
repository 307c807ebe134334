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
    /** For an unreachable server: the system's error code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, …). */
    readonly networkCode?: string,
    /** The id of the async operation that failed, when the server accepted the request and its operation failed. */
    readonly operation?: string,
  ) {
    super(`${method} ${path}: ${incusMessage}${status ? ` (HTTP ${status})` : ""}${hint ? `. ${hint}` : ""}`);
    this.name = "IncusError";
  }

  /** 404: no such object. Not a request whose operation was gone before its end was read (operationGone). */
  get isNotFound(): boolean {
    return this.status === 404 && !this.operationGone;
  }

  get isPreconditionFailed(): boolean {
    return this.status === 412;
  }

  /** Incus answers "already exists" with 409, 400 or 500 depending on the kind, or fails the operation. */
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

  /**
   * Set when Incus had accepted the request (its operation started) and what became of it is not known: the wait
   * for its end failed (the daemon went away, the operation vanished, the wait timed out).
   */
  accepted = false;

  /**
   * Set when the server no longer had the operation when asked (it keeps a finished one about 5 s): the request was
   * accepted, and what it did is to be read from the object it acted on.
   */
  operationGone = false;

  /** With operationGone: the daemon may have restarted since the request (the operation may have died half-way). */
  restartPossible = false;

  /** Set when an operation ended in failure: a definite answer (nothing to guess about). */
  operationFailed = false;

  /** The request never reached the daemon (no socket, connection refused, TLS refused): it had no effect. */
  get notSent(): boolean {
    return this.status === 0 && this.networkCode !== undefined && NOT_SENT.has(this.networkCode);
  }

  /**
   * The request may have taken effect although no answer says so: it was accepted and its end was not seen, or the
   * connection broke after it was sent. A definite answer from Incus (an error status, a failed operation) is not.
   */
  get outcomeUnknown(): boolean {
    return this.accepted || this.isTimeout || (this.status === 0 && !this.notSent);
  }
}

/** TLS failures while verifying the server (the client's own pin check included): the request was never sent. */
export const TLS_VERIFY_CODES = new Set([
  "ERR_INCUS_SERVER_CERT_MISMATCH",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Connection errors that happen before a request is sent. */
const NOT_SENT = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "EACCES",
  "ENOTSOCK",
  "ENOTDIR",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  ...TLS_VERIFY_CODES,
]);

/** True when a failed request may have changed the server (see IncusError.outcomeUnknown). */
export function outcomeUnknown(err: unknown): boolean {
  return err instanceof IncusError && err.outcomeUnknown;
}

/**
 * True when an accepted request's operation ended and expired before its end was read (IncusError.operationGone),
 * on a daemon that did not restart meanwhile: what the request did can be read from the object it acted on.
 */
export function operationGone(err: unknown): boolean {
  return err instanceof IncusError && err.operationGone && !err.restartPossible;
}

/**
 * A cluster member's answer while its event link to another member is down (it is set up again within seconds, e.g.
 * under load): it cannot tell about that member's operations yet. Asking again a little later is safe.
 */
export function memberLinkDown(err: unknown): boolean {
  return err instanceof IncusError && err.status === 500 && /missing event connection with target cluster member/i.test(err.incusMessage);
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

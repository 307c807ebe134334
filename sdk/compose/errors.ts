// Errors of a compose file: each names the path of what is wrong (`services.web.imgae: unknown key`).
export class ComposeError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path ? `${path}: ${reason}` : reason);
  }
}

/** `["services", "web", "ports", 0]` → `services.web.ports[0]`. */
export function joinPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, p) => (typeof p === "number" ? `${out}[${p}]` : out ? `${out}.${p}` : p), "");
}

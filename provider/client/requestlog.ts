import * as fs from "node:fs";

/** When PULUMI_INCUS_REQUEST_LOG names a file, every request is appended to it as "METHOD path": tests count writes. */
export function logRequest(method: string, path: string): void {
  const file = process.env.PULUMI_INCUS_REQUEST_LOG;
  if (file) fs.appendFileSync(file, `${method} ${path}\n`);
}

// Shared by the client integration suites: unique names, throwaway projects, the request log.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { IncusClient } from "../../provider/client";
import { deleteProjectAndContents } from "../../provider/kinds/project";

export const IMAGE_ALIAS = process.env.PULUMI_INCUS_TEST_IMAGE ?? "pulumi-incus/busybox";

export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/** Creates a project; `config` null means "no features" (everything falls through to the default project). */
export async function createProject(client: IncusClient, name: string, config: Record<string, string> = {}): Promise<void> {
  await client.post("/1.0/projects", { name, config }, { project: null });
}

/** Deletes a project and everything in it, object by object (Incus's force delete can reach the default project's objects); fine if it is already gone. */
export async function dropProject(client: IncusClient, name: string): Promise<void> {
  await deleteProjectAndContents(client, name);
}

/** Points PULUMI_INCUS_REQUEST_LOG at a fresh file; returns a reader of the lines logged since. */
export function captureRequests(): { lines: () => string[]; stop: () => void } {
  const file = path.join(tempDir("reqlog"), "requests.log");
  const previous = process.env.PULUMI_INCUS_REQUEST_LOG;
  process.env.PULUMI_INCUS_REQUEST_LOG = file;
  return {
    lines: () => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : []),
    stop: () => {
      if (previous === undefined) delete process.env.PULUMI_INCUS_REQUEST_LOG;
      else process.env.PULUMI_INCUS_REQUEST_LOG = previous;
    },
  };
}

export async function expectRejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection, got a result");
}

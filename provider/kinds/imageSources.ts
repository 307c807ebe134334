// How an Image comes to be: uploaded from local tarballs (streamed, never read whole into memory), copied from an
// image server, or published from an instance or snapshot. Each returns the new image's fingerprint. Part of the
// Image kind (image.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { FormData } from "undici";
import type { Context } from "../engine/kind";
import type { ImageInputs } from "./imageSchema";

/** Query-string form Incus reads from X-Incus-* upload headers. */
function headerList(key: string, values: string[]): string {
  return values.map((v) => `${key}=${encodeURIComponent(v)}`).join("&");
}

export async function upload(ctx: Context, inputs: ImageInputs): Promise<string> {
  const headers: Record<string, string> = {
    "x-incus-public": String(inputs.public ?? false),
    "x-incus-fingerprint": inputs.fingerprint!,
  };
  if (inputs.profiles) headers["x-incus-profiles"] = headerList("profile", inputs.profiles);
  if (inputs.properties) {
    headers["x-incus-properties"] = Object.entries(inputs.properties)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join("&");
  }
  let body: unknown;
  if (inputs.file) {
    headers["x-incus-filename"] = path.basename(inputs.file);
    body = fs.createReadStream(inputs.file);
  } else {
    // Split image: multipart with parts named metadata and rootfs; Blobs backed by the files stream lazily.
    const form = new FormData();
    form.append("metadata", await fs.openAsBlob(inputs.metadataFile!), path.basename(inputs.metadataFile!));
    form.append("rootfs", await fs.openAsBlob(inputs.rootfsFile!), path.basename(inputs.rootfsFile!));
    body = form;
  }
  const res = await ctx.client.post<unknown>("/1.0/images", body, { project: ctx.project, headers, timeoutMs: 30 * 60_000 });
  const meta = (res.operation?.metadata ?? {}) as { fingerprint?: string };
  return meta.fingerprint ?? inputs.fingerprint!;
}

export async function copyFromServer(ctx: Context, inputs: ImageInputs): Promise<string> {
  const s = inputs.source!;
  const res = await ctx.client.post<unknown>(
    "/1.0/images",
    {
      source: {
        type: "image",
        mode: "pull",
        server: s.server,
        // Without a server: a copy from another project of this one, which Incus makes under the `incus` protocol.
        protocol: s.server ? s.protocol : "incus",
        ...(s.alias ? { alias: s.alias } : { fingerprint: s.fingerprint }),
        ...(s.certificate ? { certificate: s.certificate } : {}),
        ...(s.project ? { project: s.project } : {}),
      },
      public: inputs.public ?? false,
      auto_update: inputs.autoUpdate ?? false,
      ...(inputs.properties ? { properties: inputs.properties } : {}),
      ...(inputs.profiles ? { profiles: inputs.profiles } : {}),
    },
    { project: ctx.project, timeoutMs: 30 * 60_000 },
  );
  const fp = (res.operation?.metadata as { fingerprint?: string } | undefined)?.fingerprint;
  if (!fp) throw new Error("the image server copy finished without reporting a fingerprint");
  return fp;
}

/** Publishes an instance or one of its snapshots as an image of this server (`incus publish`). */
export async function publish(ctx: Context, inputs: ImageInputs): Promise<string> {
  const from = inputs.sourceInstance!;
  const res = await ctx.client
    .post<unknown>(
      "/1.0/images",
      {
        source: {
          type: from.snapshot ? "snapshot" : "instance",
          name: from.snapshot ? `${from.name}/${from.snapshot}` : from.name,
          ...(from.project ? { project: from.project } : {}),
        },
        public: inputs.public ?? false,
        ...(inputs.properties ? { properties: inputs.properties } : {}),
        ...(inputs.profiles ? { profiles: inputs.profiles } : {}),
      },
      { project: ctx.project, timeoutMs: 30 * 60_000 },
    )
    .catch((err: Error) => {
      if (/running instance/i.test(err.message)) {
        err.message += `; publish a snapshot of it (\`sourceInstance.snapshot\`) or keep the instance stopped (\`running: false\`)`;
      }
      throw err;
    });
  const fp = (res.operation?.metadata as { fingerprint?: string } | undefined)?.fingerprint;
  if (!fp) throw new Error("publishing finished without reporting a fingerprint");
  return fp;
}

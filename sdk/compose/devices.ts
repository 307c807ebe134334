// A service's `ports`, `volumes`, `secrets` and `configs` → Incus proxy and disk devices and instance files. Part of
// the service mapping (service.ts); each problem is reported through `fail` with its path under the service key.
import * as path from "node:path";
import type { FileContext, ServicePlan } from "./service";

type Fail = (p: (string | number)[], why: string) => void;

export function mapPorts(ports: any[], replicas: number, devices: ServicePlan["devices"], fail: Fail): void {
  for (const [i, p] of ports.entries()) {
    let hostIp = "127.0.0.1";
    let published: string | undefined;
    let target: string;
    let protocol = "tcp";
    if (typeof p === "object") {
      target = String(p.target);
      published = p.published === undefined ? undefined : String(p.published);
      hostIp = p.host_ip ?? hostIp;
      protocol = p.protocol ?? protocol;
    } else {
      const m = /^(?:(?:\[([0-9a-fA-F:]+)\]|(\d+\.\d+\.\d+\.\d+)):)?(?:(\d+(?:-\d+)?):)?(\d+(?:-\d+)?)(?:\/(tcp|udp))?$/.exec(String(p));
      if (!m) {
        fail([i], `"${p}" is not a port mapping such as "8080:80" or "127.0.0.1:8080:80/tcp"`);
        continue;
      }
      hostIp = m[1] ?? m[2] ?? hostIp;
      published = m[3];
      target = m[4];
      protocol = m[5] ?? protocol;
    }
    if (published === undefined) {
      fail([i], "needs a published (host) port: Incus proxy devices do not pick one");
      continue;
    }
    if (replicas > 1) {
      fail([i], `host port ${published} cannot be published by ${replicas} replicas`);
      continue;
    }
    if (!["tcp", "udp"].includes(protocol)) {
      fail([i], `protocol "${protocol}" cannot be mapped (tcp or udp)`);
      continue;
    }
    const host = hostIp.includes(":") ? `[${hostIp}]` : hostIp;
    devices[`port-${i}`] = { type: "proxy", listen: `${protocol}:${host}:${published}`, connect: `${protocol}:127.0.0.1:${target}` };
  }
}

export function mapVolumes(volumes: any[], file: FileContext, devices: ServicePlan["devices"], fail: Fail): void {
  for (const [i, v] of volumes.entries()) {
    let source: string | undefined;
    let target: string;
    let readonly = false;
    let type = "volume";
    if (typeof v === "object") {
      ({ source, target, type } = v);
      readonly = !!v.read_only;
      if (!["volume", "bind"].includes(type)) {
        fail([i, "type"], `"${type}" cannot be mapped to Incus (volume or bind)`);
        continue;
      }
    } else {
      const parts = String(v).split(":");
      if (parts.length === 1) [target] = parts;
      else [source, target] = parts;
      readonly = !!parts[2]?.split(",").includes("ro");
      type = source && /^[./~]/.test(source) ? "bind" : "volume";
    }
    if (!source) {
      fail([i], "an anonymous volume cannot be mapped: name a volume or a host path");
      continue;
    }
    const device: Record<string, string> = { type: "disk", path: target };
    if (type === "bind") device.source = path.resolve(file.dir, source.replace(/^~(?=\/)/, process.env.HOME ?? "~"));
    else if (!(source in file.volumes)) {
      fail([i], `no volume "${source}" in the top-level \`volumes\``);
      continue;
    } else Object.assign(device, { pool: file.volumes[source].pool, source: file.volumes[source].name });
    if (readonly) device.readonly = "true";
    devices[`volume-${i}`] = device;
  }
}

export function mapFileRefs(
  kind: "secrets" | "configs",
  refs: any[],
  defined: FileContext["secrets"],
  dir: string,
  mode: string,
  files: ServicePlan["files"],
  fail: Fail,
): void {
  for (const [i, r] of refs.entries()) {
    const name = typeof r === "string" ? r : r.source;
    const d = defined[name];
    if (!d) {
      fail([kind, i], `no ${kind.slice(0, -1)} "${name}" in the top-level \`${kind}\``);
      continue;
    }
    const target = typeof r === "object" && r.target ? (String(r.target).startsWith("/") ? r.target : `${dir}${r.target}`) : `${dir}${name}`;
    const m = typeof r === "object" && r.mode !== undefined ? (typeof r.mode === "number" ? r.mode.toString(8) : String(r.mode)) : mode;
    files[target] = {
      ...d,
      mode: m.padStart(4, "0"),
      uid: typeof r === "object" && r.uid !== undefined ? Number(r.uid) : undefined,
      gid: typeof r === "object" && r.gid !== undefined ? Number(r.gid) : undefined,
      secret: kind === "secrets",
    };
  }
}

#!/usr/bin/env node
// `npx pulumi-incus generate`: writes a Pulumi program (TypeScript or YAML) that declares, with `adopt: true`, what
// one Incus project holds, so the first `pulumi up` takes it over with no write.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { closeAllPools } from "../client";
import { configure } from "../engine/connection";
import { emit } from "./emit";
import { GENERATED_KINDS, type GeneratedKind, readProject } from "./read";

const USAGE = `usage: pulumi-incus generate --project <p> --language ts|yaml [--out dir] [--remote r] [--socket s]
         [--kinds ${GENERATED_KINDS.join(",")}] [--stack dev] [--name program-name] [--plugin path-of-incus-plugin]
         [--init-stack]   (runs \`pulumi stack select --create\` and \`pulumi config set --secret\` for the secrets found)
         [--import-file]  (YAML: writes import.json for \`pulumi import --file\`, and the program without \`adopt\`)`;

interface Options {
  project: string;
  language: "ts" | "yaml";
  out: string;
  remote?: string;
  socket?: string;
  kinds: GeneratedKind[];
  stack: string;
  name: string;
  plugin?: string;
  initStack: boolean;
  importFile: boolean;
}

export function parseArgs(argv: string[]): Options {
  const [command, ...rest] = argv;
  if (command !== "generate") throw new Error(USAGE);
  const values: Record<string, string> = {};
  let initStack = false;
  let importFile = false;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === "--init-stack" || flag === "--import-file") {
      if (flag === "--init-stack") initStack = true;
      else importFile = true;
      continue;
    }
    const m = /^--(project|language|out|remote|socket|kinds|stack|name|plugin)(?:=(.*))?$/.exec(flag);
    if (!m) throw new Error(`unknown argument "${flag}"\n${USAGE}`);
    const value = m[2] ?? rest[++i];
    if (value === undefined || value === "") throw new Error(`--${m[1]}: needs a value\n${USAGE}`);
    values[m[1]] = value;
  }
  if (!values.project) throw new Error(`--project: required\n${USAGE}`);
  const language = values.language;
  if (language !== "ts" && language !== "yaml") throw new Error(`--language: must be ts or yaml, not ${JSON.stringify(language ?? "")}\n${USAGE}`);
  // A TypeScript program's resources are dynamic ones, which `pulumi import` cannot take: it adopts instead.
  if (importFile && language !== "yaml") throw new Error(`--import-file: only with --language yaml (a TypeScript program adopts its objects)\n${USAGE}`);
  const kinds = (values.kinds ?? GENERATED_KINDS.join(",")).split(",").map((k) => k.trim());
  const unknown = kinds.filter((k) => !(GENERATED_KINDS as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`--kinds: ${unknown.join(", ")} not covered (it covers ${GENERATED_KINDS.join(", ")})`);
  return {
    project: values.project,
    language,
    out: values.out ?? ".",
    remote: values.remote,
    socket: values.socket,
    kinds: kinds as GeneratedKind[],
    stack: values.stack ?? "dev",
    name: values.name ?? `incus-${values.project}`,
    plugin: values.plugin,
    initStack,
    importFile,
  };
}

function version(pkg: string): string {
  try {
    return `^${JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), "utf8")).version}`;
  } catch {
    return "*";
  }
}

export async function main(argv: string[]): Promise<void> {
  const o = parseArgs(argv);
  const conn = { project: o.project, remote: o.remote, socket: o.socket };
  configure({ remote: o.remote, socket: o.socket, project: o.project });
  const started = Date.now();
  let found: Awaited<ReturnType<typeof readProject>>;
  try {
    found = await readProject(conn, o.kinds, (line) => process.stderr.write(`${line}\n`));
  } finally {
    await closeAllPools();
  }
  const program = emit(found, {
    language: o.language,
    name: o.name,
    stack: o.stack,
    conn,
    plugin: o.plugin,
    importFile: o.importFile,
    versions: { pulumiIncus: version("pulumi-incus"), pulumi: version("@pulumi/pulumi"), typescript: version("typescript") },
  });
  fs.mkdirSync(o.out, { recursive: true });
  const stackFile = `Pulumi.${o.stack}.yaml`;
  for (const [file, text] of Object.entries(program.files)) {
    const target = path.join(o.out, file);
    // An existing stack config keeps what it has (its encryption salt, secrets already set); the connection is renewed.
    if (file === stackFile && fs.existsSync(target)) {
      const doc = (parse(fs.readFileSync(target, "utf8")) ?? {}) as { config?: Record<string, unknown> };
      doc.config = { ...doc.config, ...(parse(text) as { config: Record<string, unknown> }).config };
      fs.writeFileSync(target, stringify(doc));
    } else fs.writeFileSync(target, text);
  }
  const secretKeys = Object.keys(program.secrets);
  if (o.initStack) {
    const run = (args: string[], input?: string) => execFileSync("pulumi", args, { cwd: o.out, input, stdio: ["pipe", "ignore", "inherit"] });
    run(["stack", "select", "--create", o.stack]);
    for (const key of secretKeys) run(["config", "set", "--secret", "--stack", o.stack, key], program.secrets[key]);
  }
  const counts = Object.entries(program.counts).map(([k, n]) => `${n} ${k}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const how = o.importFile ? "to import" : "adopt: true";
  console.log(`wrote ${Object.keys(program.files).join(", ")} in ${o.out}: ${counts.join(", ") || "no objects"} (${how}), read in ${seconds} s`);
  if (o.importFile) console.log("import them into the stack with `pulumi import --file import.json --generate-code=false`");
  if (secretKeys.length) {
    console.log(
      o.initStack
        ? `set ${secretKeys.length} secret(s) in stack ${o.stack}: ${secretKeys.join(", ")}`
        : `set these secrets (values as the server has them) before \`pulumi up\`: ${secretKeys.map((k) => `pulumi config set --secret ${k}`).join("; ")}`,
    );
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`pulumi-incus: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}

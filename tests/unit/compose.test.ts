// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose interpolations, not JS templates
// ComposeStack's reading of a compose file (sdk/compose/plan.ts), no daemon: interpolation, the corpus of bad files
// (each must fail naming its path; the component runs this before it declares anything, so before any request), and
// the mapping of the example (examples/compose) to Incus objects.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ComposeErrors, planCompose } from "../../sdk/compose/plan";
import { interpolateString, parseDotEnv } from "../../sdk/compose/interpolate";

const corpus = path.join(__dirname, "compose-corpus");
const errorsOf = (input: Parameters<typeof planCompose>[0]): string[] => {
  try {
    planCompose(input);
  } catch (err) {
    if (err instanceof ComposeErrors) return err.errors.map((e) => e.message);
    throw err;
  }
  return [];
};

describe("interpolation", () => {
  const vars = { A: "a", EMPTY: "" };
  it.each([
    ["${A}", "a"],
    ["$A-x", "a-x"],
    ["${MISSING}", ""],
    ["${MISSING:-d}", "d"],
    ["${EMPTY:-d}", "d"],
    ["${EMPTY-d}", ""],
    ["${A:+alt}", "alt"],
    ["${MISSING+alt}", ""],
    ["${MISSING:-${A}}", "a"],
    ["$$A costs $$5", "$A costs $5"],
    ["$(hostname)", "$(hostname)"],
  ])("%s → %s", (s, want) => expect(interpolateString(s, vars, "x")).toBe(want));

  it("fails naming the path for a required variable", () => {
    expect(() => interpolateString("${MISSING:?give it}", vars, "services.web.image")).toThrow(
      "services.web.image: required variable MISSING is missing a value: give it",
    );
    expect(() => interpolateString("${EMPTY:?}", vars, "p")).toThrow("p: required variable EMPTY is empty");
    expect(interpolateString("${EMPTY?}", vars, "p")).toBe("");
  });

  it("reads .env files", () => {
    expect(parseDotEnv("# c\nA=1\nexport B=\"two words\"\nC='x y' \nD=plain # note\n")).toEqual({ A: "1", B: "two words", C: "x y", D: "plain" });
  });

  it("takes explicit variables over the environment over .env, before validation", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-compose-"));
    try {
      fs.writeFileSync(path.join(dir, ".env"), "PI_COMPOSE_T1=dotenv\nPI_COMPOSE_T2=dotenv\nPI_COMPOSE_T3=dotenv\nREPLICAS=2\n");
      fs.writeFileSync(
        path.join(dir, "compose.yaml"),
        "name: t\nservices:\n  web:\n    image: busybox\n    x-incus: {image: x}\n    deploy:\n      replicas: ${REPLICAS}\n    environment:\n      - A=${PI_COMPOSE_T1}\n      - B=${PI_COMPOSE_T2}\n      - C=${PI_COMPOSE_T3}\n",
      );
      process.env.PI_COMPOSE_T2 = "env";
      process.env.PI_COMPOSE_T3 = "env";
      const plan = planCompose({ file: path.join(dir, "compose.yaml"), variables: { PI_COMPOSE_T3: "explicit" } });
      // "2" from .env validates as the integer compose wants only because interpolation came first.
      expect(plan.services[0].names).toEqual(["web-1", "web-2"]);
      expect(plan.services[0].config).toMatchObject({ "environment.A": "dotenv", "environment.B": "env", "environment.C": "explicit" });
    } finally {
      delete process.env.PI_COMPOSE_T2;
      delete process.env.PI_COMPOSE_T3;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bad compose files", () => {
  const files = fs.readdirSync(corpus).filter((f) => f.endsWith(".yaml"));
  it("the corpus has at least 30", () => expect(files.length).toBeGreaterThanOrEqual(30));
  it.each(files)("%s fails naming its path", (f) => {
    const text = fs.readFileSync(path.join(corpus, f), "utf8");
    const expected = /^# expect: (.*)$/m.exec(text)![1];
    const errors = errorsOf({ file: path.join(corpus, f) });
    expect(errors.join("\n")).toContain(expected);
  });

  it("reports every error of a file at once", () => {
    const errors = errorsOf({ compose: { name: "x", services: { web: { imgae: "a", pid: "host" }, db: { image: "b", build: "." } } } });
    expect(errors).toEqual(["services.web.imgae: unknown key"]); // schema errors stop before the mapping
    const mapped = errorsOf({ compose: { name: "x", services: { web: { image: "a", pid: "host" }, db: { image: "b", build: ".", ports: ["80"] } } } });
    expect(mapped).toEqual([
      "services.web.pid: cannot be mapped to Incus (list it in `x-incus.ignore` to leave it out)",
      "services.db.build: cannot be mapped to Incus (list it in `x-incus.ignore` to leave it out)",
      "services.db.ports[0]: needs a published (host) port: Incus proxy devices do not pick one",
    ]);
  });

  it("leaves out what x-incus.ignore names", () => {
    const compose = { name: "x", "x-incus": { ignore: ["build", "services.*.pid"] }, services: { web: { image: "a", build: ".", pid: "host" } } };
    expect(errorsOf({ compose })).toEqual([]);
  });
});

describe("the example's mapping (examples/compose)", () => {
  const plan = planCompose({
    file: path.join(__dirname, "..", "..", "examples", "compose", "compose.yaml"),
    variables: { DB_PASSWORD: "pw", EDGE_PORT: "18080" },
  });
  const svc = (k: string) => plan.services.find((s) => s.key === k)!;

  it("one project of its own profiles, volumes and images, a network without addresses, a volume", () => {
    expect(plan.project).toMatchObject({
      name: "pi-compose",
      config: { "features.profiles": "true", "features.storage.volumes": "true", "features.images": "true" },
    });
    expect(plan.imagesFrom).toBe("default");
    // Or the default project's image store, when the file says so.
    const shared = planCompose({ compose: { name: "s", "x-incus": { project: { sharedImages: true } }, services: {} } });
    expect(shared.project.config["features.images"]).toBe("false");
    expect(plan.networks).toEqual([expect.objectContaining({ key: "front", type: "bridge", config: { "ipv4.address": "none", "ipv6.address": "none" } })]);
    expect(plan.networks[0].name.length).toBeLessThanOrEqual(15);
    expect(plan.volumes).toEqual([expect.objectContaining({ key: "data", name: "data", pool: "default" })]);
  });

  it("replicas, limits, environment, ports on 127.0.0.1, volumes, secrets and configs", () => {
    expect(svc("web").names).toEqual(["web-1", "web-2"]);
    expect(svc("web").config).toEqual({ "environment.GREETING": "hello", "limits.cpu": "1", "limits.memory": "64MiB" });
    expect(svc("edge").devices["port-0"]).toEqual({ type: "proxy", listen: "tcp:127.0.0.1:18080", connect: "tcp:127.0.0.1:80" });
    expect(svc("db").devices["volume-0"]).toEqual({ type: "disk", path: "/var/lib/db", pool: "default", source: "data" });
    expect(svc("db").files["/run/secrets/db_password"]).toEqual({ content: "pw", mode: "0400", secret: true });
    expect(svc("edge").files["/srv/index.html"]).toMatchObject({ mode: "0444", secret: false });
    expect(svc("web").image).toEqual({ alias: "pulumi-incus/busybox" });
  });

  it("depends_on with service_healthy: the dependency's healthcheck runs after its command", () => {
    expect(svc("web").dependsOn).toEqual([{ service: "db", condition: "service_healthy" }]);
    expect(Object.keys(svc("db").commands)).toEqual(["1-start", "2-healthcheck"]);
    expect(svc("db").commands["2-healthcheck"].command).toContain("wget -q -O- http://127.0.0.1:5432/state | grep -q ready");
  });

  it("a registry image (no x-incus mapping) is left for the server check", () => {
    const p = planCompose({ compose: { name: "x", services: { web: { image: "nginx:1.27" } } } });
    expect(p.services[0].image).toEqual({ registry: "nginx:1.27" });
  });

  it("service_completed_successfully runs the dependency's command in the foreground", () => {
    const p = planCompose({
      compose: {
        name: "x",
        services: {
          init: { image: "a", command: ["sh", "-c", "exit 0"] },
          web: { image: "a", depends_on: { init: { condition: "service_completed_successfully" } } },
        },
      },
    });
    expect(p.services[0].commands["1-start"].command).toBe("sh -c 'exit 0'");
  });
});

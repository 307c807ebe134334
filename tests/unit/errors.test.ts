// What the dynamic provider host prints for a failed step is `${err}: ${err.stack}`: a user sees the message once,
// prefixed with the package's name, never a class name or frames.
import { IncusError } from "../../provider/client";
import { forUser } from "../../provider/engine/errors";

test("an IncusError at the provider's boundary prints as pulumi-incus, once, and keeps its status", () => {
  const e = forUser(new IncusError(404, "not found", "GET", "/1.0/profiles/x")) as Error & { status?: number };
  expect(`${e}: ${e.stack}`).toBe(`pulumi-incus: ${e.message}`);
  expect(e.message).toContain("not found");
  expect(e.status).toBe(404);
});

test("a plain Error loses its frames", () => {
  const e = forUser(new Error("boom"));
  expect(`${e}: ${e.stack}`).toBe("pulumi-incus: boom");
});

// check: the program's inputs validated and normalised by the kind's schema before anything is sent to Incus, each
// failure naming its field; for a new object, what Incus would really do with it is said here, in the preview.
import { checkEndpoint, clientFor, defaultProject } from "./connection";
import { type EngineBase, withoutProvider } from "./base";
import { UserError } from "./errors";
import { LEARNT_KEY, type State } from "./fields";
import { closestField, fieldsAt } from "./hints";
import { containsUnknown, dropUnset, fieldName, isUnknown, issueMessage, OWNER_KEY, schemaShape, UNKNOWN, unknownPaths } from "./inputs";
import type { CommonInputs } from "./kind";
import { featureOff, readLiveIfAddressable, redirectMessage } from "./live";
import { SECRETS_KEY } from "./secrets";
import { targetProblem } from "./target";
import { extensionKeysIn, serverOf, unknownConfigKey, unmet } from "./server";

export interface CheckFailure {
  property: string;
  reason: string;
}

export async function check<I extends CommonInputs>(e: EngineBase<I>, olds: State, news: State): Promise<{ inputs?: State; failures?: CheckFailure[] }> {
  const { [SECRETS_KEY]: secrets, ...raw } = dropUnset(withoutProvider(news));
  const unknown = unknownPaths(raw).map((p) => p.join("\u0000"));
  const underUnknown = (path: PropertyKey[]) => {
    const key = path.map(String).join("\u0000");
    return unknown.some((u) => key === u || key.startsWith(u + "\u0000"));
  };
  const parsed = e.spec.schema.safeParse(raw, {
    // A missing field is "required", also where the field takes one of several forms (a port: string or number).
    error: (issue) => ((issue.code === "invalid_type" || issue.code === "invalid_union") && issue.input === undefined ? "required" : undefined),
  });
  let inputs: State;
  if (!parsed.success) {
    const meant = new Set<string>();
    const failures = parsed.error.issues
      .filter((i) => !underUnknown(i.path))
      .flatMap((i): CheckFailure[] => {
        if (i.code !== "unrecognized_keys") return [{ property: fieldName(i.path), reason: `${fieldName(i.path)}: ${issueMessage(i)}` }];
        // A misspelt field must not be silently ignored: name it, and the field that was probably meant (at its depth).
        return i.keys.map((key) => {
          const field = fieldName([...i.path, key]);
          const hint = closestField(key, fieldsAt(e.spec.schema, i.path));
          if (hint) meant.add(fieldName([...i.path, hint]));
          return { property: field, reason: `${field}: ${e.spec.type} has no such field${hint ? ` (did you mean \`${hint}\`?)` : ""}` };
        });
      })
      // `listenPort` given for `listen_port`: one mistake, said once (by the hint), not also as "required".
      .filter((f) => !(meant.has(f.property) && f.reason === `${f.property}: required`));
    if (failures.length) return { failures };
    // Values still unknown in a preview are checked again when they are known; the known fields are
    // normalised one by one, so the preview compares what will really be sent.
    inputs = normaliseKnownFields(e, raw);
  } else {
    inputs = parsed.data as State;
  }
  if (secrets !== undefined) inputs[SECRETS_KEY] = secrets;
  const failure = withDefaultProject(e, inputs) ?? (e.spec.clusterTarget ? await targetFailure(inputs) : undefined);
  if (failure) return { failures: [failure] };
  // The owner is not a field of the kind; it rides along in the inputs so create sees it. In the first preview it
  // is unknown (the stack's id is made by the same up): left out then, it is known again before any create.
  const owner = [news?.[OWNER_KEY], olds?.[OWNER_KEY]].find((o) => typeof o === "string" && !isUnknown(o));
  if (owner !== undefined) inputs[OWNER_KEY] = owner;
  const unsupported = await onThisServer(e, inputs);
  if (unsupported) return { failures: [unsupported] };
  // A new object: what Incus would really do with it is said now, in the preview, not at `up`.
  if (olds?.name === undefined && !containsUnknown([inputs.name, inputs.project, inputs.remote, inputs.socket, inputs.configDir])) {
    const problem = await previewNew(e, inputs).catch(() => undefined); // an unreachable Incus is for `up` to report
    if (problem) return { failures: [problem] };
  }
  return { inputs };
}

/**
 * What the kind, a field or a config key it uses needs and the server lacks (LXD has no storage buckets, no
 * `boot.autorestart`): said at check, before anything is sent. Costs one GET /1.0 per connection, and only for kinds
 * that declare a requirement or inputs that set a key some API extension brings.
 */
async function onThisServer<I extends CommonInputs>(e: EngineBase<I>, inputs: State): Promise<CheckFailure | undefined> {
  const { requires, fieldRequires, onServer, configKeys } = e.spec;
  // Config keys alone ask the server only when the program sets one that an API extension brings.
  if (!requires?.length && !fieldRequires && !onServer && !extensionKeysIn(configKeys, inputs).length) return undefined;
  if (containsUnknown([inputs.remote, inputs.socket, inputs.configDir])) return undefined;
  const server = await serverOf(clientFor(inputs)).catch(() => undefined); // an unreachable server is for `up` to report
  if (!server) return undefined;
  const failure = unmet(server, requires, fieldRequires, inputs) ?? onServer?.(server, inputs as I) ?? unknownConfigKey(server, configKeys, inputs);
  // A kind the server lacks altogether is no one field's fault: the whole resource is refused.
  if (failure && !failure.property) throw new UserError(`${e.spec.type} "${inputs.name}": ${failure.reason}`);
  return failure;
}

function normaliseKnownFields<I extends CommonInputs>(e: EngineBase<I>, raw: State): State {
  const shape = schemaShape(e.spec.schema);
  const out: State = { ...raw };
  for (const [key, value] of Object.entries(raw)) {
    if (isUnknown(value) || !shape[key]) continue;
    const field = shape[key].safeParse(value);
    if (field.success) out[key] = field.data;
  }
  return out;
}

function withDefaultProject<I extends CommonInputs>(e: EngineBase<I>, inputs: State): CheckFailure | undefined {
  if (!containsUnknown([inputs.remote, inputs.socket, inputs.configDir])) {
    try {
      // Resolving the endpoint reads files only (no request), so every kind, global ones included, learns here
      // that its remote does not exist, not in the middle of an update; certificates must be PEM that parses.
      const client = clientFor(inputs);
      checkEndpoint(client.endpoint);
      if (e.spec.scoped && inputs.project === undefined) inputs.project = defaultProject(client);
    } catch (err) {
      // An unknown remote or an unreadable CLI config: a problem with the connection settings, said at preview.
      const property = inputs.socket !== undefined ? "socket" : "remote";
      return { property, reason: `${property}: ${(err as Error).message}` };
    }
  }
  return undefined;
}

/** A cluster member or group (`target`) the server does not have, or a server that is no cluster: said at preview. */
async function targetFailure(inputs: State): Promise<CheckFailure | undefined> {
  if (typeof inputs.target !== "string" || isUnknown(inputs.target) || containsUnknown([inputs.remote, inputs.socket, inputs.configDir])) return undefined;
  const problem = await targetProblem(clientFor(inputs), inputs.target).catch(() => undefined); // unreachable: for `up` to report
  return problem ? { property: "target", reason: `target: ${problem}` } : undefined;
}

/**
 * For an object the stack does not have yet: refuse one that Incus would put in (or take from) the default project,
 * and for `adopt`, show what adopting will change on the existing object.
 */
async function previewNew<I extends CommonInputs>(e: EngineBase<I>, inputs: State): Promise<CheckFailure | undefined> {
  const ctx = e.context(inputs);
  if (await featureOff(e, ctx)) return { property: "project", reason: `project: ${redirectMessage(e, inputs, ctx, "would use")}` };
  // Run even when some other field is unknown (a profile made by the same up): the kind skips what it cannot know.
  if (!inputs.adopt && e.spec.conflictAtCheck) {
    const conflict = await e.spec.conflictAtCheck(ctx, inputs as I);
    if (conflict) return { property: conflict.property, reason: ctx.redact(`${conflict.property}: ${conflict.reason}`) };
  }
  // Values known only after apply are said so; the object must be known to be looked at.
  if (!inputs.adopt || !e.addressable(inputs) || e.spec.path(inputs as I).includes(UNKNOWN)) return undefined;
  const found = await readLiveIfAddressable(e, ctx, inputs);
  if (!found) return undefined;
  const m = e.model;
  const w = m.want({ ...inputs, [LEARNT_KEY]: m.learn(inputs, found.live, true) });
  const changed = m.changed(w, found.live);
  const lines = [...m.describe(w, found.live, [...changed.replace, ...changed.update]), ...(e.spec.beyondFields?.diff(inputs as I, found.live) ?? [])];
  e.report(inputs, ctx, lines.length ? lines : ["matches the program; nothing to change"], "exists and will be adopted: ");
  return undefined;
}

// zod schemas for what the client itself reads: response envelopes and operations.
import { z } from "zod";

export const OperationSchema = z.looseObject({
  id: z.string(),
  class: z.string(),
  description: z.string().default(""),
  status: z.string(),
  status_code: z.number(),
  resources: z.record(z.string(), z.array(z.string())).nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  may_cancel: z.boolean().optional(),
  err: z.string().default(""),
});
export type Operation = z.infer<typeof OperationSchema>;

export const EnvelopeSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("sync"), status_code: z.number(), metadata: z.unknown() }),
  z.looseObject({ type: z.literal("async"), operation: z.string(), metadata: OperationSchema }),
  z.looseObject({ type: z.literal("error"), error_code: z.number(), error: z.string() }),
]);
export type Envelope = z.infer<typeof EnvelopeSchema>;

export const ServerSchema = z.looseObject({
  api_version: z.string(),
  auth: z.string(),
  environment: z.looseObject({ server_version: z.string().optional(), server_name: z.string().optional() }).optional(),
});
export type Server = z.infer<typeof ServerSchema>;

/** Operation status codes that mean "finished": 200 and above (Success, Failure, Cancelled); below is still running. */
export const OPERATION_SUCCESS = 200;
export function operationFinished(op: Operation): boolean {
  return op.status_code >= 200;
}

import { z } from "zod";
import { timestampSchema } from "../primitives/index.js";

export const erasureIdSchema = z
  .string()
  .regex(/^era_[A-Za-z0-9_-]{16,64}$/, { message: "must be an erasure id (era_…) as the gateway gave it" })
  .meta({ description: "Erasure id assigned by GigBridge.", examples: ["era_Yk3v0fJ2qS8mW1dXb7Lr4a"] });

export const erasureStatuses = ["queued", "running", "completed"] as const;
export type ErasureStatus = (typeof erasureStatuses)[number];

/**
 * What a platform sees of an erasure. It never says how much was erased: the answer for a worker the
 * gateway never knew is the same as for one it knew, so the platform cannot learn which it was.
 */
export const erasureSchema = z
  .object({
    id: erasureIdSchema,
    status: z.enum(erasureStatuses).meta({
      description:
        "`queued`: accepted; `running`: removing personal data; `completed`: nothing personal about the worker is left.",
    }),
    requestedAt: timestampSchema.describe("When the erasure was first requested (asking again keeps it)."),
    completedAt: timestampSchema.optional().describe("When it completed."),
  })
  .meta({
    id: "Erasure",
    description:
      "The erasure of one worker's personal data (PIPL art. 47). Final: later signals for the worker are refused with reason `erased`; a worker who comes back needs a new worker id.",
  });
export type Erasure = z.infer<typeof erasureSchema>;

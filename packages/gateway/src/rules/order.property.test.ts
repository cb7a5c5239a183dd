import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { historyAndOrders, outcomeOf, type SignalKind } from "../test-support/histories.js";
import { ruleContext } from "./testing.js";

// Histories of up to 8 signals for one worker, each processed in its occurredAt order and in up to
// 13 other orders (always including the reverse one).

const ctx = ruleContext();
const all: SignalKind[] = [
  "worker.onboarded",
  "membership.declared",
  "worker.relocated",
  "worker.offboarded",
  "activity.completed",
  "appeal.raised",
];

describe("arrival order does not matter", () => {
  it("the final record equals processing in occurredAt order", () => {
    fc.assert(
      fc.property(historyAndOrders(all), ({ history, orders }) => {
        const expected = outcomeOf(history, ctx).record;
        for (const order of orders) expect(outcomeOf(order, ctx).record).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it("every appeal is followed up exactly once, in every order", () => {
    fc.assert(
      fc.property(historyAndOrders(all), ({ history, orders }) => {
        const appeals = history.filter((s) => s.type === "appeal.raised").length;
        for (const order of orders) {
          const followUps = outcomeOf(order, ctx).tasks.filter((t) => t.startsWith("follow_up_appeal@"));
          expect(followUps).toHaveLength(appeals);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a signal whose every fact is stale makes no task and no event, in every order", () => {
    const stated = { "worker.relocated": 1, "worker.offboarded": 2 } as Record<string, number>;
    fc.assert(
      fc.property(historyAndOrders(all), ({ orders }) => {
        for (const order of orders) {
          for (const { signal, decision } of outcomeOf(order, ctx).decisions) {
            // Relocations state one fact, offboardings two; a declaration's facts vary with what it carries.
            const count = stated[signal.type];
            if (count === undefined || decision.stale?.length !== count) continue;
            expect(decision.tasks).toEqual([]);
            expect(decision.events).toEqual([]);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  // Not met yet. Rules decide each signal against the record as it stands when the signal is
  // processed, so what a task was for can depend on what arrived before it. Smallest
  // counterexample: a member declared in Chaoyang, then moved to Pudong. In occurredAt order:
  // register_member@chaoyang-street and transfer_relation@pudong-district; move first: one
  // register_member@pudong-district. Equality needs the rules to replay the worker's history and
  // the processing stage to cancel (and re-route) tasks and take back points a late signal undoes.
  it.todo("open tasks by kind and org, and the points balance, equal processing in occurredAt order");
});

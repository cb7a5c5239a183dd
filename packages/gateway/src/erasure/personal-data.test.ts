import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { keys } from "../core/keys.js";
import { deliveryKeys } from "../delivery/keys.js";
import { signalJobId } from "../ingest/intake.js";
import { stationKeys, workerKeys } from "../processing/keys.js";
import { taskKeys } from "../tasks/keys.js";
import { erasureSteps, personalData } from "./personal-data.js";

/**
 * The registry against the code and the docs. The scan that finds personal data in keys the registry
 * does not name is in `erasure.test.ts`, on a real run of the pipeline.
 */
describe("the personal-data registry", () => {
  const covered = (key: string) => personalData.filter((entry) => entry.match.test(key)).map((e) => e.where);

  it("matches the keys the stages actually write, each by exactly one entry", () => {
    const written = [
      workerKeys.record("sub_x"),
      workerKeys.decision("sub_x", "sig:1"),
      workerKeys.ledger("sub_x"),
      workerKeys.ledgerOrder("sub_x"),
      keys.signal("platform-a", "sig:1"),
      `{gb:signals}:signals:${signalJobId("platform-a", "sig:1")}`,
      taskKeys.task("street-a", "tsk_1"),
      "{gb:deliveries}:deliveries:msg_0123456789abcdef0123456789abcdef",
      deliveryKeys.endpointAttempts("street-a", "hook"),
      deliveryKeys.messageAttempts("street-a", "msg_01"),
      stationKeys.members("platform-a", "st-1"),
      stationKeys.versions("platform-a", "st-1"),
    ];
    for (const key of written) expect(covered(key), key).toHaveLength(1);
  });

  it("does not claim keys that hold no personal data, so the scan cannot pass by matching everything", () => {
    for (const key of [
      workerKeys.balance("sub_x"),
      "{gb:signals}:signals:events",
      "{gb:signals}:signals:meta",
      "{gb:deliveries}:deliveries:events",
      taskKeys.owner("tsk_1"),
      taskKeys.index("street-a"),
      stationKeys.info("platform-a", "st-1"),
      "gb:{ops}:audit",
    ]) {
      expect(covered(key), key).toEqual([]);
    }
  });

  it("is listed in docs/architecture.md, entry by entry", () => {
    const docs = readFileSync(resolve(import.meta.dirname, "../../../../docs/architecture.md"), "utf8");
    for (const entry of personalData) {
      for (const part of entry.where.split(/, (?=gb:|…)/)) {
        const key = part.replace(/ \(.*\)$/, "").replace(/^\{gb:(\w+)\}:\1:.*$/, "queue `$1`");
        expect(docs, entry.where).toContain(key.replaceAll("|", "\\|"));
      }
    }
  });

  it("runs each erasure step once, the orgs' notice last", () => {
    expect(new Set(erasureSteps).size).toBe(erasureSteps.length);
    expect(erasureSteps.at(-1)?.name).toBe("notifyOrgs");
  });
});

import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";

/** `/metrics` reads what lives in Redis at scrape time: queue ages, readiness, Redis itself. */
describe("GET /metrics", () => {
  let t: TestGateway;
  // A frozen clock an hour ahead: the age of a waiting job is exactly `now` minus its timestamp.
  const now = Date.now() + 3_600_000;
  beforeAll(async () => {
    t = await startTestGateway({ workers: false, now: () => now });
  });
  afterAll(async () => t?.close());

  const scrape = async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const value = (series: string) => {
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    return value;
  };

  const signal = (id: string) => ({
    id,
    type: "station.updated",
    occurredAt: "2026-12-01T08:00:00+08:00",
    data: { stationId: `st-${id}`, name: "Station", regionCode: "110105001", headcount: 1 },
  });

  it("exports the age of the oldest waiting signal, not the newest", async () => {
    let value = await scrape();
    expect(value('gigbridge_queue_oldest_waiting_seconds{queue="signals"}')).toBe(0);

    for (const id of ["age-1", "age-2", "age-3"]) {
      expect((await t.call("POST", "/v1/signals", { key: testKeys.platform, body: signal(id) })).status).toBe(
        202,
      );
      // The next job gets a later timestamp (BullMQ's, in ms), so oldest and newest differ.
      const added = (await t.running.gw.queue("signals").getJob(`platform-a|${id}`))?.timestamp ?? 0;
      await waitFor(() => Date.now() > added, { description: "the clock to move on" });
    }
    const jobs = await t.running.gw.queue("signals").getJobs(["waiting"]);
    expect(jobs).toHaveLength(3);
    const oldest = Math.min(...jobs.map((job) => job.timestamp));
    expect(Math.max(...jobs.map((job) => job.timestamp))).toBeGreaterThan(oldest);
    value = await scrape();
    expect(value('gigbridge_queue_oldest_waiting_seconds{queue="signals"}')).toBe((now - oldest) / 1000);
    expect(value('gigbridge_queue_depth{queue="signals",state="waiting"}')).toBe(3);
    expect(value('gigbridge_queue_oldest_waiting_seconds{queue="deliveries"}')).toBe(0);
  });

  it("exports readiness and Redis as 1, and 0 while Redis is down", async () => {
    let value = await scrape();
    expect(value("gigbridge_redis_up")).toBe(1);
    expect(value("gigbridge_ready")).toBe(1);
    await t.redis.kill();
    value = await scrape();
    expect(value("gigbridge_redis_up")).toBe(0);
    expect(value("gigbridge_ready")).toBe(0);
  });
});

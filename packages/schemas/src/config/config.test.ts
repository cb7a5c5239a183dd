import { describe, expect, it } from "vitest";
import { eventTypes } from "../events/index.js";
import { validationErrors } from "../problem/index.js";
import {
  DAY,
  defaultDeadlines,
  defaultRetrySchedule,
  durationSchema,
  formatDuration,
  type GatewayConfigInput,
  gatewayConfigSchema,
  HOUR,
  MINUTE,
  parseDuration,
  SECOND,
} from "./index.js";

const hash = (c: string) => `sha256:${c.repeat(64)}`;

const minimal = (): GatewayConfigInput => ({
  platforms: [{ id: "fastmeal", name: "FastMeal", keyHashes: [hash("a")] }],
  orgs: [
    {
      id: "district",
      code: "D1",
      name: "District",
      kind: "district_committee",
      parent: null,
      regions: ["110105"],
    },
    {
      id: "riders",
      code: "B1",
      name: "Riders branch",
      kind: "branch",
      parent: "district",
      regions: ["110105"],
      platforms: ["fastmeal"],
      stations: ["st_chaoyang_07"],
    },
  ],
});

const errorsOf = (input: unknown) => {
  const result = gatewayConfigSchema.safeParse(input);
  return result.success ? [] : validationErrors(result.error);
};

describe("durationSchema", () => {
  it.each([
    [0, 0],
    [1500, 1500],
    ["500ms", 500],
    ["5s", 5 * SECOND],
    ["5m", 5 * MINUTE],
    ["2h", 2 * HOUR],
    ["7d", 7 * DAY],
  ])("reads %j as %d ms", (input, ms) => {
    expect(durationSchema.parse(input)).toBe(ms);
  });

  it.each([["5"], ["5 m"], ["1.5h"], ["-5s"], ["5w"], [-1], [1.5], ["9999999999999999d"]])(
    "rejects %j",
    (input) => {
      expect(durationSchema.safeParse(input).success).toBe(false);
    },
  );

  it("formats back to the shortest exact unit", () => {
    expect(formatDuration(90 * SECOND)).toBe("90s");
    expect(formatDuration(36 * HOUR)).toBe("36h");
    expect(formatDuration(0)).toBe("0ms");
    expect(formatDuration(1500)).toBe("1500ms");
    for (const ms of [0, 1, 999, SECOND, 61 * SECOND, DAY, 3 * DAY + HOUR])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe("gatewayConfigSchema", () => {
  it("fills every default from the domain brief", () => {
    const config = gatewayConfigSchema.parse(minimal());
    expect(config.deadlines).toEqual({
      register_member: 7 * DAY,
      mentor_applicant: 30 * DAY,
      transfer_relation: 14 * DAY,
      update_roster: 30 * DAY,
      follow_up_appeal: 7 * DAY,
      follow_up_appeal_urgent: 1 * DAY,
      establish_organization: 30 * DAY,
    });
    expect(config.deadlines).toEqual(defaultDeadlines);
    expect(config.retry).toEqual({
      schedule: [0, 5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR],
      jitter: 0.2,
    });
    expect(config.retry.schedule).toEqual(defaultRetrySchedule);
    expect(config.delivery).toEqual({
      timeout: 15 * SECOND,
      maxResponseBytes: 1024,
      concurrencyPerEndpoint: 4,
      disableAfter: 5 * DAY,
      rotationOverlap: 24 * HOUR,
      allowNetworks: [],
    });
    expect(config.ingest).toEqual({
      maxBatch: 500,
      maxBodyBytes: 1024 * 1024,
      idempotencyWindow: 7 * DAY,
      rateLimit: { perSecond: 1000, burst: 2000 },
    });
    expect(config.audit).toEqual({ retention: 90 * DAY });
    expect(config.endpoints).toEqual([]);
    expect(config.operators).toEqual([]);
    expect(config.orgs[0]).toMatchObject({ platforms: [], stations: [], keyHashes: [] });
  });

  it("reads durations as strings and keeps defaults for keys not given", () => {
    const config = gatewayConfigSchema.parse({
      ...minimal(),
      deadlines: { follow_up_appeal_urgent: "12h" },
      retry: { schedule: ["0ms", "1s"] },
    });
    expect(config.deadlines.follow_up_appeal_urgent).toBe(12 * HOUR);
    expect(config.deadlines.register_member).toBe(7 * DAY);
    expect(config.retry).toEqual({ schedule: [0, SECOND], jitter: 0.2 });
  });

  it("accepts a delivery timeout at either bound", () => {
    for (const timeout of ["100ms", "60s"]) {
      expect(gatewayConfigSchema.parse({ ...minimal(), delivery: { timeout } }).delivery.timeout).toBe(
        parseDuration(timeout),
      );
    }
  });

  it("subscribes an endpoint to every event by default", () => {
    const config = gatewayConfigSchema.parse({
      ...minimal(),
      endpoints: [
        { id: "oa", org: "riders", url: "https://oa.example.org/hooks", secret: `whsec_${"A".repeat(32)}` },
      ],
    });
    expect(config.endpoints[0]!.events).toEqual([...eventTypes]);
  });

  it("accepts signing secrets of 24 to 64 bytes, the sizes signing accepts", () => {
    for (const bytes of [24, 25, 63, 64]) {
      const secret = `whsec_${Buffer.alloc(bytes, 7).toString("base64")}`;
      const endpoints = [{ id: "oa", org: "riders", url: "https://oa.example.org/hooks", secret }];
      expect(errorsOf({ ...minimal(), endpoints })).toEqual([]);
    }
  });

  it("rejects unknown keys at any level", () => {
    expect(errorsOf({ ...minimal(), redis: "x" }).map((e) => e.pointer)).toEqual(["/redis"]);
    expect(errorsOf({ ...minimal(), delivery: { timeuot: "5s" } }).map((e) => e.pointer)).toEqual([
      "/delivery/timeuot",
    ]);
  });

  it("rejects a parent that does not exist", () => {
    const input = minimal();
    input.orgs[1]!.parent = "nowhere";
    expect(errorsOf(input)).toEqual([
      { pointer: "/orgs/1/parent", detail: expect.stringContaining("configured org") },
    ]);
  });

  it("rejects a cycle of parents", () => {
    const input = minimal();
    input.orgs[0]!.parent = "riders";
    expect(errorsOf(input).map((e) => e.detail)).toContain("org parents form a cycle");
  });

  it("rejects an org that is its own parent", () => {
    const input = minimal();
    input.orgs[0]!.parent = "district";
    expect(errorsOf(input)).toEqual([{ pointer: "/orgs/0/parent", detail: "org parents form a cycle" }]);
  });

  it("rejects duplicate ids and unknown references", () => {
    const input = minimal();
    input.orgs.push({ ...input.orgs[1]!, platforms: ["slowmeal"] });
    input.endpoints = [
      { id: "oa", org: "ghost", url: "https://oa.example.org", secret: `whsec_${"A".repeat(32)}` },
      { id: "oa", org: "riders", url: "https://oa.example.org", secret: `whsec_${"A".repeat(32)}` },
    ];
    const pointers = errorsOf(input).map((e) => e.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining([
        "/orgs/1/id",
        "/orgs/2/id",
        "/orgs/2/platforms/0",
        "/endpoints/0/org",
        "/endpoints/1/id",
      ]),
    );
  });

  it("rejects a key hash shared by two principals", () => {
    const input = minimal();
    input.orgs[1]!.keyHashes = [hash("a")];
    expect(
      errorsOf(input)
        .map((e) => e.pointer)
        .sort(),
    ).toEqual(["/orgs/1/keyHashes/0", "/platforms/0/keyHashes/0"]);
  });

  it.each([
    [
      "a region prefix of 3 digits",
      (c: GatewayConfigInput) => (c.orgs[0]!.regions = ["110"]),
      "/orgs/0/regions/0",
    ],
    [
      "an unknown org kind",
      (c: GatewayConfigInput) => ((c.orgs[0] as { kind: string }).kind = "cell"),
      "/orgs/0/kind",
    ],
    [
      "a plain-text key",
      (c: GatewayConfigInput) => (c.platforms[0]!.keyHashes = ["secret"]),
      "/platforms/0/keyHashes/0",
    ],
    [
      "a webhook URL that is not http(s)",
      (c: GatewayConfigInput) =>
        (c.endpoints = [
          { id: "e", org: "riders", url: "ftp://x.example", secret: `whsec_${"A".repeat(32)}` },
        ]),
      "/endpoints/0/url",
    ],
    [
      "a short signing secret",
      (c: GatewayConfigInput) =>
        (c.endpoints = [{ id: "e", org: "riders", url: "https://x.example", secret: "whsec_abc" }]),
      "/endpoints/0/secret",
    ],
    [
      "a signing secret longer than 64 bytes",
      (c: GatewayConfigInput) =>
        (c.endpoints = [
          {
            id: "e",
            org: "riders",
            url: "https://x.example",
            secret: `whsec_${Buffer.alloc(65, 7).toString("base64")}`,
          },
        ]),
      "/endpoints/0/secret",
    ],
    ["jitter above 1", (c: GatewayConfigInput) => (c.retry = { jitter: 1.5 }), "/retry/jitter"],
    [
      "an unknown network class",
      (c: GatewayConfigInput) => (c.delivery = { allowNetworks: ["internet" as never] }),
      "/delivery/allowNetworks/0",
    ],
    // The delivery lock is derived from the timeout: an unbounded timeout would make it unbounded too.
    [
      "a delivery timeout above 60s",
      (c: GatewayConfigInput) => (c.delivery = { timeout: "61s" }),
      "/delivery/timeout",
    ],
    [
      "a delivery timeout below 100ms",
      (c: GatewayConfigInput) => (c.delivery = { timeout: 99 }),
      "/delivery/timeout",
    ],
    [
      "a trusted proxy that is not an address or range",
      (c: GatewayConfigInput) =>
        (c.http = { trustedProxies: ["10.0.0.0/8", "fd00::/8", "::1", "10.0.0.0/33"] }),
      "/http/trustedProxies/3",
    ],
    [
      "a trusted proxy given by name",
      (c: GatewayConfigInput) => (c.http = { trustedProxies: ["lb.internal"] }),
      "/http/trustedProxies/0",
    ],
  ])("rejects %s", (_name, change, pointer) => {
    const input = minimal();
    change(input);
    expect(errorsOf(input).map((e) => e.pointer)).toEqual([pointer]);
  });
});

import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetworkRefusedError } from "./errors.js";
import { classifyAddress, createGuardedAgent, isAddressAllowed, resolveAllowed } from "./network.js";
import { Receiver } from "./testing.js";

describe("classifyAddress", () => {
  it.each([
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["0.0.0.0", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["169.254.10.10", "link_local"],
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["100.100.100.200", "metadata"],
    ["224.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["::ffff:0:127.0.0.1", "loopback"],
    ["::ffff:0:a9fe:a9fe", "metadata"],
    ["64:ff9b:1::a00:1", "reserved"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"],
    ["::1", "loopback"],
    ["::", "loopback"],
    ["2001:4860:4860::8888", "public"],
    ["fd12:3456::1", "private"],
    ["fc00::1", "private"],
    ["fe80::1", "link_local"],
    ["fe80::1%eth0", "link_local"],
    ["ff02::1", "reserved"],
    ["fd00:ec2::254", "metadata"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:8.8.8.8", "public"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "metadata"],
    ["2002:7f00:1::1", "loopback"],
    ["[::1]", "loopback"],
    ["not-an-ip", "reserved"],
    ["999.1.1.1", "reserved"],
    // IANA special-purpose registries: documentation, benchmarking, future use, protocol assignments.
    ["192.0.2.10", "reserved"],
    ["198.51.100.7", "reserved"],
    ["203.0.113.200", "reserved"],
    ["240.0.0.1", "reserved"],
    ["250.1.2.3", "reserved"],
    ["198.18.0.1", "reserved"],
    ["192.0.0.8", "reserved"],
    ["192.88.99.1", "reserved"],
    ["192.0.0.9", "public"],
    ["192.31.196.1", "public"],
    ["203.0.114.1", "public"],
    ["::ffff:192.0.2.1", "reserved"],
    ["2002:c000:0201::1", "reserved"],
    ["2001:db8::1", "reserved"],
    ["3fff::1", "reserved"],
    ["100::1", "reserved"],
    ["2001:2::1", "reserved"],
    ["2001:10::1", "reserved"],
    ["5f00::1", "reserved"],
    ["4000::1", "reserved"],
    ["2001:4:112::1", "public"],
    ["2620:4f:8000::1", "public"],
  ])("%s is %s", (address, network) => {
    expect(classifyAddress(address)).toBe(network);
  });

  it("allows only public addresses and the networks named", () => {
    expect(isAddressAllowed("8.8.8.8", [])).toBe(true);
    expect(isAddressAllowed("127.0.0.1", [])).toBe(false);
    expect(isAddressAllowed("127.0.0.1", ["loopback"])).toBe(true);
    expect(isAddressAllowed("10.0.0.1", ["loopback"])).toBe(false);
    // Allowing private networks does not open link-local or metadata.
    expect(isAddressAllowed("169.254.169.254", ["loopback", "private"])).toBe(false);
    expect(isAddressAllowed("169.254.1.1", ["loopback", "private"])).toBe(false);
    expect(isAddressAllowed("169.254.169.254", ["metadata"])).toBe(true);
    expect(isAddressAllowed("224.0.0.1", ["loopback", "private", "link_local", "metadata"])).toBe(false);
  });
});

describe("resolveAllowed", () => {
  const lookup = async (host: string) =>
    ({
      "public.test": ["93.184.216.34"],
      "mixed.test": ["93.184.216.34", "10.0.0.7"],
      "meta.test": ["169.254.169.254"],
    })[host] ?? [];

  it("returns the address to connect to for a public name", async () => {
    expect(await resolveAllowed("public.test", [], lookup)).toBe("93.184.216.34");
  });

  it("refuses a name with any internal answer, with a typed error", async () => {
    const error = await resolveAllowed("mixed.test", [], lookup).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkRefusedError);
    expect((error as NetworkRefusedError).network).toBe("private");
    await expect(resolveAllowed("meta.test", ["private", "loopback"], lookup)).rejects.toThrow(
      NetworkRefusedError,
    );
  });

  it("checks IP literals without a lookup", async () => {
    await expect(resolveAllowed("127.0.0.1", [], lookup)).rejects.toThrow(NetworkRefusedError);
    await expect(resolveAllowed("[::1]", [], lookup)).rejects.toThrow(NetworkRefusedError);
    expect(await resolveAllowed("127.0.0.1", ["loopback"], lookup)).toBe("127.0.0.1");
  });

  it("fails for a name that does not resolve", async () => {
    await expect(resolveAllowed("nothing.test", [], lookup)).rejects.toThrow(/did not resolve/);
  });
});

describe("createGuardedAgent", () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await Receiver.start();
  });
  afterAll(async () => receiver.close());

  it("refuses to connect to loopback unless loopback is allowed", async () => {
    const refusing = createGuardedAgent({ allow: [], connectTimeoutMs: 2_000 });
    const before = receiver.requests.length;
    const error = await request(receiver.url, { dispatcher: refusing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkRefusedError);
    expect(receiver.requests.length).toBe(before);
    await refusing.close();

    const allowing = createGuardedAgent({ allow: ["loopback"], connectTimeoutMs: 2_000 });
    const response = await request(receiver.url, { dispatcher: allowing });
    await response.body.dump();
    expect(response.statusCode).toBe(204);
    await allowing.close();
  });

  it("connects to the address it checked, not to a second answer from DNS", async () => {
    // A rebinding resolver: public on the first question, loopback afterwards.
    let asked = 0;
    const rebinding = async () => (asked++ === 0 ? ["93.184.216.34"] : ["127.0.0.1"]);
    const agent = createGuardedAgent({ allow: [], connectTimeoutMs: 2_000, lookup: rebinding });
    asked = 1; // the registration-time check already happened; the connect-time lookup now says loopback
    const before = receiver.requests.length;
    await expect(
      request(`http://hooks.rebind.test:${receiver.port}/`, { dispatcher: agent }),
    ).rejects.toThrow(NetworkRefusedError);
    expect(receiver.requests.length).toBe(before);
    await agent.close();
  });

  it("sends to a name's checked address with the original Host header", async () => {
    const agent = createGuardedAgent({
      allow: ["loopback"],
      connectTimeoutMs: 2_000,
      lookup: async () => ["127.0.0.1"],
    });
    const response = await request(`http://hooks.example.test:${receiver.port}/x`, { dispatcher: agent });
    await response.body.dump();
    expect(response.statusCode).toBe(204);
    expect(receiver.requests.at(-1)?.headers.host).toBe(`hooks.example.test:${receiver.port}`);
    await agent.close();
  });
});

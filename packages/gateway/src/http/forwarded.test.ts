import { describe, expect, it } from "vitest";
import { clientOf, trustedProxies } from "./forwarded.js";

const headers =
  (h: Record<string, string>) =>
  (name: string): string | undefined =>
    h[name];

describe("clientOf", () => {
  const lb = trustedProxies(["10.0.0.0/8", "fd00::/8", "192.0.2.7"]);
  const forwardedBy = {
    host: "10.0.3.4:8787",
    "x-forwarded-for": "203.0.113.9, 10.1.1.1",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "gateway.example.org",
  };

  it("ignores X-Forwarded-* by default: anyone can write them", () => {
    const client = clientOf("10.0.0.5", headers(forwardedBy), false, trustedProxies([]));
    expect(client).toEqual({ ip: "10.0.0.5", proto: "http", host: "10.0.3.4:8787" });
  });

  it("believes them from a trusted proxy: the client is the rightmost untrusted hop", () => {
    const client = clientOf("::ffff:10.0.0.5", headers(forwardedBy), false, lb);
    expect(client).toEqual({ ip: "203.0.113.9", proto: "https", host: "gateway.example.org" });
  });

  it("does not let a client choose its address by writing hops to the left", () => {
    const spoofed = { "x-forwarded-for": "127.0.0.1, 198.51.100.23, 10.1.1.1" };
    expect(clientOf("192.0.2.7", headers(spoofed), false, lb).ip).toBe("198.51.100.23");
  });

  it("ignores them from a peer that is not a trusted proxy", () => {
    const client = clientOf("198.51.100.1", headers(forwardedBy), false, lb);
    expect(client).toEqual({ ip: "198.51.100.1", proto: "http", host: "10.0.3.4:8787" });
  });

  it("matches IPv6 ranges and keeps the socket's scheme when the proxy sends none", () => {
    const client = clientOf("fd00::1", headers({ "x-forwarded-for": "2001:db8::5", host: "h" }), true, lb);
    expect(client).toEqual({ ip: "2001:db8::5", proto: "https", host: "h" });
  });

  it("skips hops that are not addresses, and falls back to the leftmost when every hop is trusted", () => {
    const client = clientOf("10.0.0.5", headers({ "x-forwarded-for": "unknown, 10.2.2.2" }), false, lb);
    expect(client.ip).toBe("10.2.2.2");
  });
});

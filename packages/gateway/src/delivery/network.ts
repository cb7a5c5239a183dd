import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { Agent, buildConnector } from "undici";
import { NetworkRefusedError } from "./errors.js";

/** Networks a configuration may allow by name. Everything else that is not public is always refused. */
export type AllowableNetwork = "loopback" | "private" | "link_local" | "metadata";
export type NetworkClass = AllowableNetwork | "public" | "reserved";

/** Cloud instance metadata services: AWS/GCP/Azure/OpenStack, AWS ECS, Alibaba Cloud, Azure wire server, AWS IMDS over IPv6. */
const METADATA_V4 = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "168.63.129.16"]);
const METADATA_V6 = "fd00:ec2:0:0:0:0:0:254";

function v4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : Number.NaN));
  return bytes.every((byte) => byte >= 0 && byte <= 255) ? bytes : undefined;
}

/** 16 bytes of an IPv6 address (zone id dropped, embedded dotted quad allowed), or undefined. */
function v6(text: string): number[] | undefined {
  let address = text.replace(/^\[|\]$/g, "");
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);
  if (isIP(address) !== 6) return undefined;
  let tail: number[] = [];
  const lastColon = address.lastIndexOf(":");
  if (address.slice(lastColon + 1).includes(".")) {
    tail = v4(address.slice(lastColon + 1)) ?? [];
    address = `${address.slice(0, lastColon + 1)}0:0`;
  }
  const [head = "", rest] = address.split("::");
  const groupsOf = (part: string) =>
    part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16));
  const front = groupsOf(head);
  const back = rest === undefined ? [] : groupsOf(rest);
  const groups =
    rest === undefined ? front : [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
  const bytes = groups.flatMap((group) => [group >> 8, group & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes.length === 16 ? bytes : undefined;
}

/** A range of a special-purpose registry: its first address's bytes, prefix length and class. */
type Range = readonly [bytes: readonly number[], prefix: number, network: NetworkClass];

function inRange(bytes: readonly number[], [base, prefix]: Range): boolean {
  for (let bit = 0; bit < prefix; bit += 8) {
    const mask = prefix - bit >= 8 ? 0xff : (0xff << (8 - (prefix - bit))) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((base[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * The IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates, as of
 * 2025), plus multicast: every range not globally reachable is refused unless
 * its class is allowed. Ranges the registry marks globally reachable (AS112,
 * AMT, PCP and TURN anycast) count as public. Longest prefixes first.
 */
const V4_RANGES: readonly Range[] = [
  [[192, 0, 0, 9], 32, "public"], // Port Control Protocol anycast (globally reachable)
  [[192, 0, 0, 10], 32, "public"], // TURN anycast (globally reachable)
  [[255, 255, 255, 255], 32, "reserved"], // limited broadcast
  [[192, 0, 0, 0], 24, "reserved"], // IETF protocol assignments (DS-Lite, NAT64 discovery...)
  [[192, 0, 2, 0], 24, "reserved"], // TEST-NET-1 documentation
  [[192, 88, 99, 0], 24, "reserved"], // deprecated 6to4 relay anycast
  [[198, 51, 100, 0], 24, "reserved"], // TEST-NET-2 documentation
  [[203, 0, 113, 0], 24, "reserved"], // TEST-NET-3 documentation
  [[169, 254, 0, 0], 16, "link_local"],
  [[192, 168, 0, 0], 16, "private"],
  [[198, 18, 0, 0], 15, "reserved"], // benchmarking
  [[172, 16, 0, 0], 12, "private"],
  [[100, 64, 0, 0], 10, "private"], // shared address space (carrier-grade NAT)
  [[0, 0, 0, 0], 8, "loopback"], // "this network": 0.0.0.0/8 reaches the local host on Linux
  [[10, 0, 0, 0], 8, "private"],
  [[127, 0, 0, 0], 8, "loopback"],
  [[224, 0, 0, 0], 4, "reserved"], // multicast
  [[240, 0, 0, 0], 4, "reserved"], // reserved for future use
];

/** Bytes of an IPv6 prefix written as up to 8 groups. */
const g = (...groups: number[]): number[] =>
  Array.from({ length: 16 }, (_, i) => ((groups[i >> 1] ?? 0) >> (i % 2 === 0 ? 8 : 0)) & 0xff);

/**
 * The IANA IPv6 Special-Purpose Address Registry (RFC 6890 and updates, as of
 * 2025), plus multicast and the reserved space outside global unicast
 * (2000::/3). Forms that carry an IPv4 address are judged by it (below).
 */
const V6_RANGES: readonly Range[] = [
  [g(0x2001, 0x4, 0x112), 48, "public"], // AS112-v6 (globally reachable)
  [g(0x2620, 0x4f, 0x8000), 48, "public"], // AS112 direct delegation (globally reachable)
  [g(0x2001, 0x3), 32, "public"], // AMT (globally reachable)
  [g(0x64, 0xff9b, 0x1), 48, "reserved"], // local-use NAT64: the IPv4 address is not at a fixed place
  [g(0x100), 64, "reserved"], // discard-only
  [g(0x100, 0, 0, 1), 64, "reserved"], // dummy IPv6 prefix
  [g(0x2001, 0xdb8), 32, "reserved"], // documentation
  [g(0x2001), 23, "reserved"], // IETF protocol assignments: Teredo, benchmarking, ORCHID...
  [g(0x3fff), 20, "reserved"], // documentation
  [g(0x5f00), 16, "reserved"], // SRv6 SIDs
  [g(0xfc00), 7, "private"], // unique local
  [g(0xfe80), 10, "link_local"],
  [g(0xfec0), 10, "private"], // site local (deprecated)
  [g(0xff00), 8, "reserved"], // multicast
];

const GLOBAL_UNICAST: Range = [g(0x2000), 3, "public"];

function classifyV4(bytes: number[]): NetworkClass {
  if (METADATA_V4.has(bytes.join("."))) return "metadata";
  return V4_RANGES.find((range) => inRange(bytes, range))?.[2] ?? "public";
}

/**
 * Which network an IP address is in. IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible,
 * NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`) IPv6 forms are judged by the IPv4
 * address they carry, so an IPv6 spelling cannot smuggle in a refused IPv4 address.
 * Anything that is not an IP address is `reserved` (refused).
 */
export function classifyAddress(address: string): NetworkClass {
  const four = v4(address);
  if (four && isIP(address) === 4) return classifyV4(four);
  const bytes = v6(address);
  if (!bytes) return "reserved";
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  const embedded = (at: number) => classifyV4(bytes.slice(at, at + 4));
  if (zeros(0, 15) && bytes[15] === 1) return "loopback"; // ::1
  if (zeros(0, 16)) return "loopback"; // :: reaches the local host
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return embedded(12); // ::ffff:a.b.c.d
  if (zeros(0, 12)) return embedded(12); // ::a.b.c.d (deprecated IPv4-compatible)
  if (zeros(0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeros(10, 12)) return embedded(12); // ::ffff:0:a.b.c.d (SIIT)
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) {
    return embedded(12); // NAT64
  }
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return embedded(2); // 6to4
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0));
  if (groups.map((group) => group.toString(16)).join(":") === METADATA_V6) return "metadata";
  const special = V6_RANGES.find((range) => inRange(bytes, range));
  if (special) return special[2];
  return inRange(bytes, GLOBAL_UNICAST) ? "public" : "reserved";
}

/** True when connecting to `address` is allowed: public addresses always, others only when their network is named. */
export function isAddressAllowed(address: string, allow: readonly AllowableNetwork[]): boolean {
  const network = classifyAddress(address);
  if (network === "public") return true;
  if (network === "reserved") return false;
  return allow.includes(network);
}

export type LookupAll = (hostname: string) => Promise<string[]>;

/** The system resolver, all addresses in the order it returns them. */
export const systemLookup: LookupAll = async (hostname) =>
  (await dnsLookup(hostname, { all: true, order: "verbatim" })).map((entry) => entry.address);

/**
 * Resolves `hostname` (or takes it as is when it is an IP literal) and returns the
 * address to connect to. Refuses with {@link NetworkRefusedError} when any of the
 * resolved addresses is in a network that is not allowed: a name that mixes public
 * and internal answers is treated as hostile rather than raced.
 */
export async function resolveAllowed(
  hostname: string,
  allow: readonly AllowableNetwork[],
  lookup: LookupAll = systemLookup,
): Promise<string> {
  const bare = hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(bare) ? [bare] : await lookup(bare);
  if (addresses.length === 0) throw new Error(`${hostname} did not resolve`);
  for (const address of addresses) {
    if (!isAddressAllowed(address, allow))
      throw new NetworkRefusedError(hostname, address, classifyAddress(address));
  }
  return addresses[0]!;
}

export interface GuardedAgentOptions {
  allow: readonly AllowableNetwork[];
  /** Connect timeout in milliseconds. */
  connectTimeoutMs: number;
  /** Name resolution; the system resolver by default. Tests pass a fake. */
  lookup?: LookupAll;
  /** Connections per origin. */
  connectionsPerOrigin?: number;
}

/**
 * An undici Agent (one connection pool per origin) whose connector resolves names
 * itself and connects to the checked IP address, so the network check applies to
 * the address actually connected to, not to an earlier answer a DNS rebinding
 * attacker could change. The socket's peer address is checked once more after
 * connecting. TLS still verifies the certificate against the original host name.
 */
export function createGuardedAgent(options: GuardedAgentOptions): Agent {
  const base = buildConnector({ timeout: options.connectTimeoutMs });
  const lookup = options.lookup ?? systemLookup;
  const connect: buildConnector.connector = (connectOptions, callback) => {
    resolveAllowed(connectOptions.hostname, options.allow, lookup).then(
      (address) => {
        base({ ...connectOptions, hostname: address }, (error, socket) => {
          if (error || !socket) {
            callback(error ?? new Error("connect failed"), null);
            return;
          }
          const peer = socket.remoteAddress;
          if (!peer || !isAddressAllowed(peer, options.allow)) {
            socket.destroy();
            callback(
              new NetworkRefusedError(
                connectOptions.hostname,
                peer ?? "unknown",
                classifyAddress(peer ?? ""),
              ),
              null,
            );
            return;
          }
          callback(null, socket);
        });
      },
      (error: Error) => callback(error, null),
    );
  };
  return new Agent({
    connect,
    connections: options.connectionsPerOrigin ?? null,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
  });
}

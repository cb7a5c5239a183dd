import { BlockList, isIP } from "node:net";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.js";

/** Who is on the other end of a request, as far as the gateway can tell. */
export interface Client {
  /** The client's address: the peer, or the first untrusted hop of `X-Forwarded-For`. */
  ip: string;
  /** `https` when the client reached a trusted proxy over TLS. */
  proto: "http" | "https";
  /** The `Host` the client asked for. */
  host: string;
}

/** The trusted proxies of `http.trustedProxies` as a matcher. */
export function trustedProxies(list: readonly string[]): (ip: string) => boolean {
  if (list.length === 0) return () => false;
  const block = new BlockList();
  for (const entry of list) {
    const [address, bits] = entry.split("/") as [string, string | undefined];
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) block.addAddress(address, type);
    else block.addSubnet(address, Number(bits), type);
  }
  return (ip) => {
    const plain = unmapped(ip);
    const type = isIP(plain);
    return type !== 0 && block.check(plain, type === 6 ? "ipv6" : "ipv4");
  };
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1. */
function unmapped(ip: string): string {
  return ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

const first = (value: string | undefined) => value?.split(",")[0]?.trim() || undefined;

/**
 * The client behind any trusted proxies. `X-Forwarded-*` headers are believed only when the peer
 * itself is a trusted proxy; the client address is the rightmost `X-Forwarded-For` hop that is not
 * a trusted proxy, since a client can write any hops it likes to the left of it.
 */
export function clientOf(
  peer: string | undefined,
  header: (name: string) => string | undefined,
  secure: boolean,
  trusted: (ip: string) => boolean,
): Client {
  const direct: Client = {
    ip: peer ? unmapped(peer) : "unknown",
    proto: secure ? "https" : "http",
    host: header("host") ?? "",
  };
  if (!peer || !trusted(peer)) return direct;
  const hops = (header("x-forwarded-for") ?? "")
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => isIP(unmapped(hop)) !== 0);
  let ip = direct.ip;
  for (let i = hops.length - 1; i >= 0; i--) {
    ip = unmapped(hops[i] as string);
    if (!trusted(ip)) break;
  }
  const proto = first(header("x-forwarded-proto"))?.toLowerCase();
  return {
    ip,
    proto: proto === "https" || proto === "http" ? proto : direct.proto,
    host: first(header("x-forwarded-host")) ?? direct.host,
  };
}

/** Sets `client` on each request from the socket and, behind trusted proxies, `X-Forwarded-*`. */
export function forwarded(trustedList: readonly string[]): MiddlewareHandler<AppEnv> {
  const trusted = trustedProxies(trustedList);
  return async (c, next) => {
    // On @hono/node-server the Node request is in the env; `app.request()` in tests has none.
    const socket = (c.env as { incoming?: { socket?: { remoteAddress?: string; encrypted?: boolean } } })
      ?.incoming?.socket;
    c.set(
      "client",
      clientOf(socket?.remoteAddress, (name) => c.req.header(name), socket?.encrypted === true, trusted),
    );
    await next();
  };
}

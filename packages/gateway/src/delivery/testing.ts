import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Writable } from "node:stream";
import { type GatewayConfig, type GatewayConfigInput, gatewayConfigSchema } from "@gigbridge/schemas";
import { createGateway } from "../core/context.js";
import { hashKey } from "../core/credentials.js";
import { createLogger } from "../core/logger.js";
import { connect } from "../core/redis.js";
import { createApp } from "../http/app.js";
import { endpointRoutes } from "./routes.js";

/** A request a {@link Receiver} got. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver does with a request: answer, or `"hang"` to never answer. */
export type ReceiverReply = { status: number; headers?: Record<string, string>; body?: string } | "hang";

/**
 * A real HTTP server on 127.0.0.1 for delivery tests: records every request and
 * answers as `reply` says (changeable mid-test to bring a receiver "back up").
 * Test support for delivery's tests; nothing in the gateway imports this module.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  reply: (request: ReceivedRequest) => ReceiverReply | Promise<ReceiverReply> = () => ({ status: 204 });
  /** Requests being answered right now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(port = 0): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on("connection", (socket) => {
      receiver.sockets.add(socket);
      socket.once("close", () => receiver.sockets.delete(socket));
    });
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const received: ReceivedRequest = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now(),
        };
        receiver.requests.push(received);
        receiver.inFlight++;
        receiver.maxInFlight = Math.max(receiver.maxInFlight, receiver.inFlight);
        res.once("close", () => receiver.inFlight--);
        Promise.resolve(receiver.reply(received)).then((reply) => {
          if (reply === "hang") {
            receiver.hanging.add(res);
            return;
          }
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.body ?? "");
        });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Stops listening and drops open connections, as a crashed receiver would. */
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Org keys the test configuration accepts: `Authorization: Bearer <key>`. */
export const TEST_ORG_KEYS = {
  "org-a": "gb_ok_test_org_a_key_0000000000",
  "org-b": "gb_ok_test_org_b_key_0000000000",
};

/**
 * A gateway configuration for delivery tests: two orgs with keys, loopback
 * allowed, a compressed retry schedule without jitter, and whatever `overrides` say.
 */
export function testConfig(overrides: {
  endpoints?: GatewayConfigInput["endpoints"];
  retry?: GatewayConfigInput["retry"];
  delivery?: GatewayConfigInput["delivery"];
}): GatewayConfig {
  const org = (id: keyof typeof TEST_ORG_KEYS) => ({
    id,
    code: id.toUpperCase(),
    name: `Test ${id}`,
    kind: "branch" as const,
    parent: null,
    regions: ["11"],
    keyHashes: [hashKey(TEST_ORG_KEYS[id])],
  });
  return gatewayConfigSchema.parse({
    platforms: [],
    orgs: [org("org-a"), org("org-b")],
    endpoints: overrides.endpoints ?? [],
    retry: { schedule: [0, 50, 100], jitter: 0, ...overrides.retry },
    delivery: { timeout: 2_000, allowNetworks: ["loopback"], ...overrides.delivery },
  });
}

/** A log destination that keeps parsed lines for assertions. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split("\n")) if (line.trim()) this.lines.push(JSON.parse(line));
    done();
  }
}

/**
 * A gateway on `redisUrl` (flushed) with the delivery routes mounted behind the real org-key auth.
 * Gateways that play processes of one deployment share a `masterKey`.
 */
export async function startTestGateway(redisUrl: string, config: GatewayConfig, masterKey = randomBytes(32)) {
  const logs = new LogCapture();
  const gw = await createGateway({
    config,
    redisUrl,
    masterKey,
    logger: createLogger({ level: "info", destination: logs }),
  });
  await connect(gw.redis);
  await gw.redis.flushdb();
  const app = createApp(gw, { routes: [endpointRoutes] });
  const call = async (org: keyof typeof TEST_ORG_KEYS, method: string, path: string, body?: unknown) => {
    const response = await app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${TEST_ORG_KEYS[org]}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
    const parsed: any = text ? JSON.parse(text) : undefined;
    return { status: response.status, headers: response.headers, body: parsed };
  };
  return { gw, app, call, logs };
}

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { getRequestListener } from "@hono/node-server";
import { type ProblemKind, problemKinds } from "../core/errors.js";
import { PROBLEM_CONTENT_TYPE, problemType } from "../http/problem.js";

export interface RunningServer {
  url: string;
  port: number;
  /** The underlying node:http server. */
  node: Server;
  /** Stops accepting connections and waits for in-flight requests (up to `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves a fetch handler on node:http. Requests that node:http itself would
 * refuse with an empty body (a parse error, headers too large, no `Host`, an
 * unknown `Expect`, `OPTIONS *`) are answered as problem+json here, like
 * every other error of the gateway.
 */
export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  port: number,
  hostname = "127.0.0.1",
): Promise<RunningServer> {
  const handle = getRequestListener(fetch, { hostname });
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    if (!req.headers.host) return answer(res, "bad_request", "The request has no Host header.");
    // Only origin-form targets ("/path?query") name a resource here; `*` and absolute forms do not.
    if (!req.url?.startsWith("/")) return answer(res, "bad_request", "The request target must be a path.");
    void handle(req, res);
  });
  server.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) =>
    answer(res, "expectation_failed", "Only `Expect: 100-continue` is supported."),
  );
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const kind: ProblemKind = error.code === "HPE_HEADER_OVERFLOW" ? "headers_too_large" : "bad_request";
    const detail =
      kind === "headers_too_large"
        ? "The request headers are larger than the server accepts."
        : "The request is not valid HTTP/1.1 (request line, headers or body framing).";
    const body = problemBody(kind, detail);
    const status = problemKinds[kind].status;
    socket.end(
      `HTTP/1.1 ${status} ${problemKinds[kind].title}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      const info = server.address() as AddressInfo;
      const shownHost = hostname === "0.0.0.0" || hostname === "::" ? "localhost" : hostname;
      resolve({
        url: `http://${shownHost}:${info.port}`,
        port: info.port,
        node: server,
        close: (graceMs = 10_000) => closeGracefully(server, graceMs),
      });
    });
  });
}

function problemBody(kind: ProblemKind, detail: string): string {
  const { status, title } = problemKinds[kind];
  return JSON.stringify({ type: problemType(kind), title, status, detail, requestId: randomUUID() });
}

function answer(res: ServerResponse, kind: ProblemKind, detail: string): void {
  const body = problemBody(kind, detail);
  res.writeHead(problemKinds[kind].status, {
    "content-type": PROBLEM_CONTENT_TYPE,
    "content-length": Buffer.byteLength(body),
    connection: "close",
  });
  res.end(body);
}

function closeGracefully(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    // Connections become idle as their last response ends; close each as soon as it does.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    server.close(() => {
      clearTimeout(force);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

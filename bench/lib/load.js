// @ts-check
import autocannon from "autocannon";

/**
 * Runs autocannon against a URL with a fresh body per request (`makeBody`), and
 * returns the rate of 2xx answers, latency percentiles in ms and error counts.
 * Only 127.0.0.1 targets are allowed.
 */
/**
 * @param {{ url: string, connections: number, seconds: number, headers?: Record<string, string>, makeBody: () => string }} options
 */
export async function load({ url, connections, seconds, headers = {}, makeBody }) {
  const target = new URL(url);
  if (target.hostname !== "127.0.0.1") throw new Error(`refusing to send load to ${target.hostname}`);
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    requests: [
      {
        setupRequest(request) {
          request.body = makeBody();
          return request;
        },
      },
    ],
  });
  const ok = result["2xx"];
  return {
    requests: ok,
    perSecond: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]),
    ),
    seconds: result.duration,
  };
}

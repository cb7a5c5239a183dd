// @ts-check
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const hash = (/** @type {string} */ key) => `sha256:${createHash("sha256").update(key).digest("hex")}`;

/**
 * A configuration for the benchmark: one platform, a district with two streets
 * (appeals alternate between them), one webhook endpoint per street pointing at
 * the local receiver, and a rate limit far above what one machine can send.
 * Keys, webhook secrets and the master key are random per run and never printed.
 */
/**
 * @param {{ receiverUrl: string, concurrencyPerEndpoint: number }} options
 */
export function benchSetup({ receiverUrl, concurrencyPerEndpoint }) {
  const platformKey = `gb_pk_bench_${randomBytes(24).toString("base64url")}`;
  const secrets = {
    "street-a": `whsec_${randomBytes(32).toString("base64")}`,
    "street-b": `whsec_${randomBytes(32).toString("base64")}`,
  };
  const config = {
    platforms: [{ id: "bench-platform", name: "Bench platform", keyHashes: [hash(platformKey)] }],
    orgs: [
      {
        id: "district",
        code: "B-110105",
        name: "District committee",
        kind: "district_committee",
        parent: null,
        regions: ["110105"],
      },
      {
        id: "street-a",
        code: "B-110105001",
        name: "Street A",
        kind: "street_committee",
        parent: "district",
        regions: ["110105001"],
      },
      {
        id: "street-b",
        code: "B-110105002",
        name: "Street B",
        kind: "street_committee",
        parent: "district",
        regions: ["110105002"],
      },
    ],
    endpoints: [
      { id: "ep-street-a", org: "street-a", url: `${receiverUrl}/a`, secret: secrets["street-a"] },
      { id: "ep-street-b", org: "street-b", url: `${receiverUrl}/b`, secret: secrets["street-b"] },
    ],
    delivery: { allowNetworks: ["loopback"], concurrencyPerEndpoint },
    ingest: { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
  };
  const dir = mkdtempSync(join(tmpdir(), "gigbridge-bench-"));
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  return {
    platformId: "bench-platform",
    platformKey,
    secrets,
    configPath,
    masterKey: randomBytes(32).toString("base64"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

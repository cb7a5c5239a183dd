import { randomBytes } from "node:crypto";
import { type EventType, eventTypes } from "@gigbridge/schemas";
import type { Gateway } from "../core/context.js";
import { ConflictError, ValidationError } from "../core/errors.js";
import { execOrThrow } from "../core/exec.js";
import { Script } from "../core/script.js";
import {
  EndpointNotFoundError,
  EndpointReadOnlyError,
  InvalidEndpointUrlError,
  NetworkRefusedError,
} from "./errors.js";
import { type EndpointHealth, noteOnBoard, readHealth } from "./health.js";
import { deliveryKeys } from "./keys.js";
import { type LookupAll, resolveAllowed, systemLookup } from "./network.js";
import { SecretBox } from "./secrets.js";
import { generateSecret, isValidSecret } from "./signing.js";

/**
 * Endpoints come from two places, merged per organization:
 * - the configuration file (`source: "config"`): read-only through the API (change
 *   the file), though they can be tested, re-enabled and their attempts read;
 * - the API (`source: "api"`): stored in Redis with their secrets sealed under the
 *   master key, created, changed, rotated and deleted by the org's integrator.
 * Health (failing since, disabled) lives in Redis for both.
 */
export type EndpointSource = "config" | "api";

/** A signing secret as stored: sealed, with the time a rotation retires it. */
export interface StoredSecret {
  sealed: string;
  createdAt: number;
  /** After a rotation the old secret still signs until this time. */
  expiresAt?: number;
}

interface StoredEndpoint {
  id: string;
  orgId: string;
  url: string;
  events: EventType[];
  description?: string;
  createdAt: string;
  updatedAt: string;
  secrets: StoredSecret[];
}

export interface Endpoint {
  id: string;
  orgId: string;
  url: string;
  events: EventType[];
  description?: string;
  source: EndpointSource;
  createdAt?: string;
  updatedAt?: string;
}

export interface EndpointWithHealth extends Endpoint {
  health: EndpointHealth;
}

/** What an integrator sends to create an endpoint. */
export interface EndpointInput {
  url: string;
  events?: EventType[];
  description?: string;
  /** Bring your own `whsec_` secret; one is generated otherwise. */
  secret?: string;
}

export interface EndpointPatch {
  url?: string;
  events?: EventType[];
  description?: string | null;
}

// KEYS: endpoints hash. ARGV: id, expected JSON, new JSON. 1 = written, 0 = changed meanwhile, -1 = gone.
const compareAndSet = new Script(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return -1 end
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`);

const boxes = new WeakMap<Buffer, SecretBox>();
function boxOf(masterKey: Buffer): SecretBox {
  let found = boxes.get(masterKey);
  if (!found) {
    found = new SecretBox(masterKey);
    boxes.set(masterKey, found);
  }
  return found;
}
function box(gw: Gateway): SecretBox {
  return boxOf(gw.masterKey);
}

/**
 * Opens a sealed secret with the current master key or, during a rotation, a previous one.
 * Returns the secret and whether the current key sealed it.
 */
function unsealSecret(gw: Gateway, sealed: string, context: string): { secret: string; current: boolean } {
  try {
    return { secret: box(gw).decrypt(sealed, context), current: true };
  } catch (error) {
    for (const previous of gw.previousMasterKeys) {
      try {
        return { secret: boxOf(previous.key).decrypt(sealed, context), current: false };
      } catch {
        // Not this one either.
      }
    }
    throw error;
  }
}

/**
 * Seals every secret of the org's API endpoints that an older master key sealed under the current
 * one (`gigbridge rotate-master-key`). Returns how many secrets were sealed again.
 */
export async function resealEndpointSecrets(gw: Gateway, orgId: string): Promise<number> {
  let count = 0;
  for (const stored of await readStored(gw, orgId)) {
    const context = `${orgId}/${stored.id}`;
    if (stored.secrets.every((s) => unsealSecret(gw, s.sealed, context).current)) continue;
    let here = 0;
    await modify(gw, orgId, stored.id, (current) => {
      // Runs again when the endpoint changed meanwhile: count the last run only.
      here = 0;
      return {
        ...current,
        secrets: current.secrets.map((s) => {
          const opened = unsealSecret(gw, s.sealed, context);
          if (opened.current) return s;
          here++;
          return { ...s, sealed: box(gw).encrypt(opened.secret, context) };
        }),
      };
    }).then(
      () => {
        count += here;
      },
      (error: unknown) => {
        // Deleted meanwhile: nothing left to seal.
        if (!(error instanceof EndpointNotFoundError)) throw error;
      },
    );
  }
  return count;
}

function publicView(stored: StoredEndpoint): Endpoint {
  return {
    id: stored.id,
    orgId: stored.orgId,
    url: stored.url,
    events: stored.events,
    ...(stored.description ? { description: stored.description } : {}),
    source: "api",
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

function configured(gw: Gateway, orgId: string) {
  return gw.config.endpoints.filter((endpoint) => endpoint.org === orgId);
}

function fromConfig(endpoint: Gateway["config"]["endpoints"][number]): Endpoint {
  return {
    id: endpoint.id,
    orgId: endpoint.org,
    url: endpoint.url,
    events: endpoint.events,
    source: "config",
  };
}

async function readStored(gw: Gateway, orgId: string): Promise<StoredEndpoint[]> {
  const all = await gw.redis.hgetall(deliveryKeys.endpoints(orgId));
  return Object.values(all).map((json) => JSON.parse(json) as StoredEndpoint);
}

async function readOne(
  gw: Gateway,
  orgId: string,
  id: string,
): Promise<{ json: string; stored: StoredEndpoint } | undefined> {
  const json = await gw.redis.hget(deliveryKeys.endpoints(orgId), id);
  return json === null ? undefined : { json, stored: JSON.parse(json) as StoredEndpoint };
}

/** Every endpoint of the org, configured first, in creation order. */
export async function listEndpoints(gw: Gateway, orgId: string): Promise<Endpoint[]> {
  const stored = (await readStored(gw, orgId)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return [...configured(gw, orgId).map(fromConfig), ...stored.map(publicView)];
}

/** Endpoints with their health, for the API. */
export async function withHealth(gw: Gateway, endpoints: Endpoint[]): Promise<EndpointWithHealth[]> {
  const byOrg = new Map<string, Endpoint[]>();
  for (const endpoint of endpoints)
    byOrg.set(endpoint.orgId, [...(byOrg.get(endpoint.orgId) ?? []), endpoint]);
  const health = new Map<string, EndpointHealth>();
  for (const [orgId, list] of byOrg) {
    for (const [id, h] of await readHealth(
      gw,
      orgId,
      list.map((e) => e.id),
    ))
      health.set(`${orgId}/${id}`, h);
  }
  return endpoints.map((e) => ({ ...e, health: health.get(`${e.orgId}/${e.id}`) ?? { disabled: false } }));
}

/** The org's endpoint with this id, or undefined. Another org's endpoint is never found. */
export async function findEndpoint(gw: Gateway, orgId: string, id: string): Promise<Endpoint | undefined> {
  const fromFile = configured(gw, orgId).find((endpoint) => endpoint.id === id);
  if (fromFile) return fromConfig(fromFile);
  const found = await readOne(gw, orgId, id);
  return found && publicView(found.stored);
}

export async function getEndpoint(gw: Gateway, orgId: string, id: string): Promise<Endpoint> {
  const endpoint = await findEndpoint(gw, orgId, id);
  if (!endpoint) throw new EndpointNotFoundError(id);
  return endpoint;
}

/**
 * The secrets that sign a message now, newest first: the current one and, for
 * `rotationOverlap` after a rotation, the previous one.
 */
export async function signingSecrets(gw: Gateway, endpoint: Endpoint, now = gw.now()): Promise<string[]> {
  if (endpoint.source === "config") {
    const fromFile = configured(gw, endpoint.orgId).find((e) => e.id === endpoint.id);
    if (!fromFile) throw new EndpointNotFoundError(endpoint.id);
    return [fromFile.secret];
  }
  const found = await readOne(gw, endpoint.orgId, endpoint.id);
  if (!found) throw new EndpointNotFoundError(endpoint.id);
  return found.stored.secrets
    .filter((secret) => secret.expiresAt === undefined || secret.expiresAt > now)
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((secret) => unsealSecret(gw, secret.sealed, `${endpoint.orgId}/${endpoint.id}`).secret);
}

/**
 * Checks an endpoint URL at registration: absolute http(s), no credentials in it,
 * and a host that resolves only to allowed networks. Delivery checks again against
 * the address it connects to, so a later DNS change cannot get around this.
 */
export async function checkEndpointUrl(
  gw: Gateway,
  url: string,
  lookup: LookupAll = systemLookup,
): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidEndpointUrlError("must be an absolute URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    throw new InvalidEndpointUrlError("must use https or http");
  if (parsed.username || parsed.password) throw new InvalidEndpointUrlError("must not contain credentials");
  if (parsed.hash) throw new InvalidEndpointUrlError("must not contain a fragment");
  try {
    await resolveAllowed(parsed.hostname, gw.config.delivery.allowNetworks, lookup);
  } catch (error) {
    if (error instanceof NetworkRefusedError) throw error;
    throw new InvalidEndpointUrlError("the host does not resolve");
  }
  return parsed.toString();
}

function checkSecret(secret: string): string {
  if (!isValidSecret(secret)) {
    const detail = 'must be "whsec_" followed by base64 of 24 to 64 bytes';
    throw new ValidationError(`The secret is not usable: ${detail}.`, [{ pointer: "/secret", detail }]);
  }
  return secret;
}

function newEndpointId(): string {
  return `ep-${randomBytes(12).toString("hex")}`;
}

/** Creates an endpoint for the org; the secret is returned here and never again. */
export async function createEndpoint(
  gw: Gateway,
  orgId: string,
  input: EndpointInput,
  lookup?: LookupAll,
): Promise<{ endpoint: Endpoint; secret: string }> {
  const url = await checkEndpointUrl(gw, input.url, lookup);
  const secret = checkSecret(input.secret ?? generateSecret());
  const nowMs = gw.now();
  const now = new Date(nowMs).toISOString();
  let id = newEndpointId();
  while (gw.config.endpoints.some((e) => e.id === id)) id = newEndpointId();
  const stored: StoredEndpoint = {
    id,
    orgId,
    url,
    events: input.events ?? [...eventTypes],
    ...(input.description ? { description: input.description } : {}),
    createdAt: now,
    updatedAt: now,
    secrets: [{ sealed: box(gw).encrypt(secret, `${orgId}/${id}`), createdAt: nowMs }],
  };
  await gw.redis.hset(deliveryKeys.endpoints(orgId), id, JSON.stringify(stored));
  return { endpoint: publicView(stored), secret };
}

/** Applies `change` to a stored endpoint atomically (compare-and-set, retried on a concurrent write). */
async function modify(
  gw: Gateway,
  orgId: string,
  id: string,
  change: (stored: StoredEndpoint) => StoredEndpoint,
): Promise<StoredEndpoint> {
  for (let round = 0; round < 10; round++) {
    const found = await readOne(gw, orgId, id);
    if (!found) {
      if (configured(gw, orgId).some((e) => e.id === id)) throw new EndpointReadOnlyError(id);
      throw new EndpointNotFoundError(id);
    }
    const next = { ...change(found.stored), updatedAt: new Date(gw.now()).toISOString() };
    const result = await compareAndSet.run(
      gw.redis,
      [deliveryKeys.endpoints(orgId)],
      [id, found.json, JSON.stringify(next)],
    );
    if (result === 1) return next;
    if (result === -1) throw new EndpointNotFoundError(id);
  }
  throw new ConflictError(`Endpoint ${id} kept changing while this change was applied; try again.`);
}

export async function updateEndpoint(
  gw: Gateway,
  orgId: string,
  id: string,
  patch: EndpointPatch,
  lookup?: LookupAll,
): Promise<Endpoint> {
  const url = patch.url === undefined ? undefined : await checkEndpointUrl(gw, patch.url, lookup);
  const stored = await modify(gw, orgId, id, (current) => {
    const next: StoredEndpoint = { ...current };
    if (url !== undefined) next.url = url;
    if (patch.events !== undefined) next.events = patch.events;
    if (patch.description === null) delete next.description;
    else if (patch.description !== undefined) next.description = patch.description;
    return next;
  });
  return publicView(stored);
}

/**
 * Replaces the signing secret. The old one keeps signing (a second `v1,` entry)
 * for `delivery.rotationOverlap`, so receivers can switch without losing messages.
 */
export async function rotateSecret(
  gw: Gateway,
  orgId: string,
  id: string,
  secret: string = generateSecret(),
): Promise<{ endpoint: Endpoint; secret: string }> {
  checkSecret(secret);
  const now = gw.now();
  const retireAt = now + gw.config.delivery.rotationOverlap;
  const sealed = box(gw).encrypt(secret, `${orgId}/${id}`);
  const stored = await modify(gw, orgId, id, (current) => ({
    ...current,
    secrets: [
      { sealed, createdAt: now },
      ...current.secrets
        .filter((s) => s.expiresAt === undefined || s.expiresAt > now)
        .map((s) => ({ ...s, expiresAt: Math.min(s.expiresAt ?? retireAt, retireAt) })),
    ],
  }));
  return { endpoint: publicView(stored), secret };
}

/** Deletes an API endpoint with its health and attempt log. Queued messages for it fail as `endpoint_deleted`. */
export async function deleteEndpoint(gw: Gateway, orgId: string, id: string): Promise<void> {
  if (configured(gw, orgId).some((e) => e.id === id)) throw new EndpointReadOnlyError(id);
  const [removed] = await execOrThrow(
    gw.redis
      .multi()
      .hdel(deliveryKeys.endpoints(orgId), id)
      .srem(deliveryKeys.disabled(orgId), id)
      .del(
        deliveryKeys.health(orgId, id),
        deliveryKeys.inflight(orgId, id),
        deliveryKeys.endpointAttempts(orgId, id),
      ),
  );
  if (removed === 0) throw new EndpointNotFoundError(id);
  await noteOnBoard(gw, orgId, id, "gone", gw.now());
}

/**
 * The org's endpoints that subscribe to `type`, disabled ones included: their
 * messages fail at once as `endpoint_disabled` and wait in the failed set, so
 * re-enabling the endpoint and replaying delivers what it missed.
 */
export async function endpointsFor(gw: Gateway, orgId: string, type: EventType): Promise<Endpoint[]> {
  const stored = await readStored(gw, orgId);
  return [...configured(gw, orgId).map(fromConfig), ...stored.map(publicView)].filter((endpoint) =>
    endpoint.events.includes(type),
  );
}

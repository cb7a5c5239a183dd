import type { Signal } from "@gigbridge/schemas";
import { Cluster, type Redis } from "ioredis";
import type { RedisClient } from "../core/redis.js";

/** Test help: a worker whose personal data is easy to recognize, and a scan of all of Redis for it. */
export interface Person {
  workerId: string;
  name: string;
  phone: string;
  summary: string;
  /** What an org writes when it completes the worker's task. */
  note: string;
}

export function person(tag: string): Person {
  const phone = `139${String(Math.floor(10_000_000 + Math.random() * 89_999_999))}`;
  return {
    workerId: `w_${tag}_7731`,
    name: `林晓雨${tag}`,
    phone,
    summary: `三月工资被拖欠，编号 EQ-${tag}-99812，站长不予处理。`,
    note: `Called 林晓雨${tag} on ${phone}; wages paid.`,
  };
}

/** The strings that must not survive an erasure. */
export function personalStrings(p: Person): string[] {
  return [p.workerId, p.name, p.phone, p.summary, p.note];
}

/** A member with consented contact at a station, an appeal and a completed activity: every kind of personal data. */
export function lifeOf(p: Person, prefix: string, regionCode: string, stationId: string): Signal[] {
  const consent = {
    id: `cns-${prefix}`,
    grantedAt: "2024-06-02T09:58:00+08:00",
    scopes: ["share_membership", "share_contact"],
  };
  return [
    {
      id: `${prefix}-declared`,
      type: "membership.declared",
      occurredAt: "2024-06-02T10:00:00+08:00",
      data: {
        workerId: p.workerId,
        politicalStatus: "member",
        regionCode,
        stationId,
        homeOrganization: { name: "示例县示例镇第一党支部" },
        contact: { name: p.name, phone: p.phone },
        consent,
      },
    },
    {
      id: `${prefix}-appeal`,
      type: "appeal.raised",
      occurredAt: "2024-06-03T10:00:00+08:00",
      data: { workerId: p.workerId, category: "wages", urgency: "normal", summary: p.summary, regionCode },
    },
    {
      id: `${prefix}-activity`,
      type: "activity.completed",
      occurredAt: "2024-06-04T10:00:00+08:00",
      data: { workerId: p.workerId, kind: "volunteer", hours: 2, activityId: `act-${prefix}` },
    },
  ] as Signal[];
}

/** Every key in Redis (every master of a cluster) with everything it holds, as text. */
export async function dumpRedis(redis: RedisClient): Promise<Map<string, string>> {
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes("master") : [redis];
  const out = new Map<string, string>();
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, found] = await node.scan(cursor, "COUNT", 1000);
      cursor = next;
      for (const key of found) out.set(key, `${key}\n${await contentOf(node, key)}`);
    } while (cursor !== "0");
  }
  return out;
}

async function contentOf(node: Redis, key: string): Promise<string> {
  switch (await node.type(key)) {
    case "string":
      return (await node.get(key)) ?? "";
    case "hash":
      return JSON.stringify(await node.hgetall(key));
    case "list":
      return JSON.stringify(await node.lrange(key, 0, -1));
    case "set":
      return JSON.stringify(await node.smembers(key));
    case "zset":
      return JSON.stringify(await node.zrange(key, "0", "-1", "WITHSCORES"));
    case "stream":
      return JSON.stringify(await node.xrange(key, "-", "+"));
    default:
      return "";
  }
}

/** The keys holding any of the strings, with the strings each holds. */
export function keysHolding(dump: Map<string, string>, strings: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, content] of dump) {
    const held = strings.filter((s) => content.includes(s));
    if (held.length > 0) out.set(key, held);
  }
  return out;
}

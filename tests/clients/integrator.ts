// An integrator's script on openapi-fetch with the types openapi-typescript generated
// (build/clients/ts/schema.d.ts, from `make clients`), run against a live server by
// tests/api/test_generated_clients.py:
//
//   REACHBOARD_URL=http://127.0.0.1:8000 REACHBOARD_KEY=rb_... node build/clients/ts/out/integrator.js
//
// Compiled with tsc --strict (tests/clients/tsconfig.json): no casts, no non-null assertions, so a
// type the OpenAPI document gets wrong fails the compile. Every step prints a line; the first
// surprise exits non-zero, saying why. The same steps as tests/clients/integrator.py.
import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "../../build/clients/ts/schema";

type Problem = components["schemas"]["Problem"];
type Point = paths["/api/v1/companies/{company_id}/metrics"]["post"]["requestBody"]["content"]["application/json"]["points"][number];
// The X-Pagination header of a list, as the document types it.
type Pagination = paths["/api/v1/companies"]["get"]["responses"][200]["headers"]["X-Pagination"]["application/json"];

const DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
const FIRST = new Date(Date.now() - 60 * DAY_MS);

class Failure extends Error {}

function fail(message: string): never {
  throw new Failure(message);
}

function step(message: string): void {
  console.log(`ok: ${message}`);
}

function day(offset: number): string {
  return new Date(FIRST.getTime() + offset * DAY_MS).toISOString().slice(0, 10);
}

function points(channel: string, start: number, count: number): Point[] {
  return Array.from({ length: count }, (_, n) => ({
    channel, metric: "followers", date: day(start + n), value: 1000 + 10 * (start + n),
  }));
}

/** The error handling every caller writes: the problem's status, title, detail and errors. */
function describe(problem: Problem): string {
  const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`).join("; ");
  return `${problem.status} ${problem.title}: ${problem.detail ?? ""}${fields ? ` [${fields}]` : ""}`;
}

function problemOf(result: { error?: Problem; response: Response }, status: number): Problem {
  const problem = result.error;
  if (result.response.status !== status || problem === undefined) {
    fail(`expected a ${status} problem, got ${result.response.status}`);
  }
  if (problem.status !== status) fail(`the problem says ${problem.status}, the response ${status}`);
  return problem;
}

function ok<T>(result: { data?: T; error?: Problem; response: Response }, status: number): T {
  if (result.error !== undefined) fail(`expected ${status}, got ${describe(result.error)}`);
  if (result.response.status !== status || result.data === undefined) {
    fail(`expected ${status} with a body, got ${result.response.status}`);
  }
  return result.data;
}

/** X-Pagination read and checked field by field: the typed value, or a failure. */
function pagination(response: Response): Pagination {
  const header = response.headers.get("X-Pagination");
  if (header === null) fail("no X-Pagination header");
  const value: unknown = JSON.parse(header);
  if (typeof value !== "object" || value === null) fail(`X-Pagination is not an object: ${header}`);
  const number = (name: string): number | undefined => {
    const field: unknown = name in value ? Object.getOwnPropertyDescriptor(value, name)?.value : undefined;
    return typeof field === "number" ? field : undefined;
  };
  const [total, totalPages, page, pageSize] = [number("total"), number("total_pages"), number("page"),
    number("page_size")];
  if (total === undefined || totalPages === undefined || page === undefined || pageSize === undefined) {
    fail(`X-Pagination lacks a required field: ${header}`);
  }
  const meta: Pagination = { total, total_pages: totalPages, page, page_size: pageSize };
  const next = number("next_page");
  const previous = number("previous_page");
  if (next !== undefined) meta.next_page = next;
  if (previous !== undefined) meta.previous_page = previous;
  return meta;
}

async function main(): Promise<void> {
  const baseUrl = process.env.REACHBOARD_URL ?? fail("REACHBOARD_URL is not set");
  const key = process.env.REACHBOARD_KEY ?? fail("REACHBOARD_KEY is not set");
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });

  const me = ok(await client.GET("/api/v1/me"), 200);
  step(`/me: ${me.kind} of ${me.agency.name}`);

  const suffix = randomUUID().slice(0, 8);
  // Only the name: the other fields have server defaults, so the generated type leaves them optional.
  const company = ok(await client.POST("/api/v1/companies", { body: { name: `TypeScript ${suffix}` } }), 201);
  if (company.timezone !== "UTC" || company.archived) fail(`defaults not applied: ${JSON.stringify(company)}`);
  step(`company ${company.name} (${company.id}), timezone ${company.timezone} by default`);
  const companyPath = { path: { company_id: company.id } };
  const channel = ok(await client.POST("/api/v1/companies/{company_id}/channels", {
    params: companyPath, body: { key: "instagram", platform: "instagram" },
  }), 201);
  step(`channel ${channel.key} named ${JSON.stringify(channel.name)}`);

  // 30 days of points, then the same request again with the same Idempotency-Key.
  const push = { points: points("instagram", 0, DAYS) };
  const idempotent = { ...companyPath, header: { "Idempotency-Key": `ts-${suffix}` } };
  const first = await client.POST("/api/v1/companies/{company_id}/metrics", { params: idempotent, body: push });
  const pushed = ok(first, 200);
  if (pushed.created !== DAYS || first.response.headers.has("Idempotent-Replayed")) {
    fail(`first push: ${JSON.stringify(pushed)}`);
  }
  const again = await client.POST("/api/v1/companies/{company_id}/metrics", { params: idempotent, body: push });
  const replayed = ok(again, 200);
  if (again.response.headers.get("Idempotent-Replayed") !== "true" || replayed.created !== pushed.created) {
    fail(`the replay: ${JSON.stringify(replayed)}`);
  }
  step(`pushed ${pushed.created} points; the replay answered the same with Idempotent-Replayed: true`);

  const period = { from: day(0), to: day(DAYS - 1) };
  const series = ok(await client.GET("/api/v1/companies/{company_id}/metrics", {
    params: { ...companyPath, query: { metric: ["followers"], channel: "all", granularity: "week", ...period } },
  }), 200);
  const weekly = series.series[0];
  if (weekly === undefined || weekly.channel !== "all" || weekly.points.length < 4 || weekly.points.length > 6) {
    fail(`weekly series: ${JSON.stringify(series)}`);
  }
  const lastWeek = weekly.points[weekly.points.length - 1];
  step(`weekly channel=all series: ${weekly.points.length} weeks, last ${lastWeek?.date} = ${lastWeek?.value}`);

  const summary = ok(await client.GET("/api/v1/companies/{company_id}/metrics/summary", {
    params: { ...companyPath, query: period },
  }), 200);
  const followers = summary.metrics.find((m) => m.metric === "followers");
  if (followers === undefined || followers.value !== 1000 + 10 * (DAYS - 1)) fail(`summary: ${JSON.stringify(summary)}`);
  step(`summary: followers ${followers.value} (${followers.change} since the previous period)`);

  for (const n of [0, 1]) {
    ok(await client.POST("/api/v1/companies", { body: { name: `TypeScript ${suffix} ${n}` } }), 201);
  }
  const query = { page: 1, page_size: 2, q: `TypeScript ${suffix}` };
  const listing = await client.GET("/api/v1/companies", { params: { query } });
  const meta = pagination(listing.response);
  if (ok(listing, 200).length !== 2 || meta.total !== 3 || meta.total_pages !== 2 || meta.next_page !== 2
      || meta.previous_page !== undefined) {
    fail(`pagination: ${JSON.stringify(meta)}`);
  }
  const page2 = await client.GET("/api/v1/companies", { params: { query: { ...query, page: meta.next_page } } });
  const meta2 = pagination(page2.response);
  if (ok(page2, 200).length !== 1 || meta2.previous_page !== 1 || meta2.next_page !== undefined) {
    fail(`page 2: ${JSON.stringify(meta2)}`);
  }
  step(`paginated list: ${meta.total} companies in ${meta.total_pages} pages of ${meta.page_size}, read from X-Pagination`);

  // Errors: each a Problem with the fields a caller reads.
  const rejected = problemOf(await client.POST("/api/v1/companies/{company_id}/metrics", {
    params: companyPath, body: { points: [...points("instagram", 0, 1), ...points("tiktok", 0, 1)] },
  }), 422);
  const firstError = rejected.errors?.[0];
  if (firstError === undefined || firstError.field !== "channel" || firstError.index !== 1) {
    fail(`rejected push: ${describe(rejected)}`);
  }
  step(`rejected push: 422, errors[0].field=${firstError.field} (point ${firstError.index}), detail=${rejected.detail}`);

  const missing = problemOf(await client.GET("/api/v1/companies/{company_id}", {
    params: { path: { company_id: randomUUID() } },
  }), 404);
  step(`404: ${describe(missing)}`);
  const taken = problemOf(await client.POST("/api/v1/companies/{company_id}/channels", {
    params: companyPath, body: { key: "instagram", platform: "instagram" },
  }), 409);
  step(`409: ${describe(taken)}`);
  const tooMany: Point[] = Array.from({ length: 10_001 }, (_, n) => ({
    channel: "instagram", metric: "reach", date: day(-(n % 365)), value: n,
  }));
  const large = problemOf(await client.POST("/api/v1/companies/{company_id}/metrics", {
    params: companyPath, body: { points: tooMany },
  }), 413);
  step(`413: ${large.detail} (limit ${large.limit})`);

  const csv = "date,channel,metric,value\n"
    + Array.from({ length: DAYS }, (_, n) => `${day(n)},instagram,reach,${500 + n}\n`).join("");
  const imported = ok(await client.POST("/api/v1/companies/{company_id}/metrics/import", {
    params: { ...companyPath, header: { "Idempotency-Key": `ts-csv-${suffix}` } },
    body: csv,
    bodySerializer: (body) => body,
    headers: { "Content-Type": "text/csv" },
  }), 200);
  if (imported.rows !== DAYS || imported.created !== DAYS) fail(`CSV import: ${JSON.stringify(imported)}`);
  step(`CSV import: ${imported.rows} rows, ${imported.created} created`);

  // The server under test has a small push budget (PUSH_RATE_LIMIT): spend it.
  for (let attempt = 1; attempt <= 100; attempt++) {
    const answer = await client.POST("/api/v1/companies/{company_id}/metrics", {
      params: companyPath, body: { points: points("instagram", attempt % DAYS, 1) },
    });
    if (answer.response.status === 429) {
      const limited = problemOf(answer, 429);
      const retry = Number(answer.response.headers.get("Retry-After"));
      if (!(retry > 0)) fail("a 429 without Retry-After");
      step(`429 after ${attempt} more pushes: retry after ${retry} s `
        + `(RateLimit-Remaining ${answer.response.headers.get("RateLimit-Remaining")}); ${limited.detail}`);
      console.log("all steps passed");
      return;
    }
    ok(answer, 200);
  }
  fail("no 429 after 100 pushes: is the server's PUSH_RATE_LIMIT small?");
}

main().catch((err: unknown) => {
  console.log(`FAIL: ${err instanceof Failure ? err.message : String(err)}`);
  process.exit(1);
});

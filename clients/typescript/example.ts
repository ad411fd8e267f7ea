/**
 * A small typed client for the Many Futures API, the way the Next.js front end can use it.
 *
 * Every path, parameter, body and response here is checked against schema.d.ts, which
 * openapi-typescript generates from ../../openapi.json, the document the API publishes
 * (`make clients` regenerates both). CI runs `tsc --noEmit` on this file, so a change
 * to the API that would break a caller like this one fails the build.
 */
import createClient from "openapi-fetch";

import type { components, paths } from "./schema";

export type Project = components["schemas"]["Project"];
export type ProjectPage = components["schemas"]["ProjectPage"];
export type ProjectCreate = components["schemas"]["ProjectCreate"];
export type Episode = components["schemas"]["Episode"];
export type Problem = components["schemas"]["Problem"];

/** A client acting as the signed-in user: `sessionToken` is their Clerk session token. */
export function manyFutures(baseUrl: string, sessionToken: string) {
  return createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${sessionToken}` },
  });
}

export type Client = ReturnType<typeof manyFutures>;

/** An RFC 9457 problem the API answered with (`type` is what to branch on). */
export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.title} (${problem.status})`);
  }
}

/** One page of the caller's organization's projects, newest first. */
export async function projectPage(client: Client, cursor: string | null): Promise<ProjectPage> {
  const { data, error } = await client.GET("/v1/projects", {
    params: { query: { limit: 100, cursor } },
  });
  if (error !== undefined) throw new ApiProblem(error);
  return data;
}

/** Every project, following the cursor to the last page. */
export async function allProjects(client: Client): Promise<Project[]> {
  const projects: Project[] = [];
  let cursor: string | null = null;
  do {
    const page = await projectPage(client, cursor);
    projects.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return projects;
}

/** Creates a project delivered on weekdays at 07:30; a retry with the same key is safe. */
export async function createProject(
  client: Client,
  project: Pick<ProjectCreate, "title" | "brief">,
  idempotencyKey: string,
): Promise<Project> {
  const { data, error } = await client.POST("/v1/projects", {
    params: { header: { "Idempotency-Key": idempotencyKey } },
    body: { ...project, cadence: { mode: "weekdays" }, deliveryTime: "07:30" },
  });
  if (error !== undefined) throw new ApiProblem(error);
  return data;
}

/** The project's latest published episode, if any. */
export async function latestPublished(
  client: Client,
  projectId: string,
): Promise<Episode | undefined> {
  const { data, error } = await client.GET("/v1/projects/{project_id}/episodes", {
    params: { path: { project_id: projectId }, query: { limit: 20 } },
  });
  if (error !== undefined) throw new ApiProblem(error);
  return data.items.find((episode) => episode.status === "PUBLISHED");
}

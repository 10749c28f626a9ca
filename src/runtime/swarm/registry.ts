/**
 * The images the stack builds, made available to every node: tagged `<registry>/<image>` and pushed
 * from the manager's engine (where they were built). Images pulled from a public registry (caddy,
 * redis, prometheus…) stay as they are: every node pulls them itself.
 */
import type Docker from "dockerode";
import { GatestackError } from "../../errors.js";
import { dockerError } from "../engine.js";
import { jsonLines } from "../json-lines.js";
import type { Task } from "../progress.js";

/** `reg.example:5000` → `reg.example:5000/`; no registry → "" (images stay on the node that built them). */
export function imagePrefix(registry: string | undefined): string {
  if (registry === undefined || registry === "") return "";
  const trimmed = registry.replace(/^[a-z]+:\/\//i, "").replace(/\/+$/, "");
  if (!/^[A-Za-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/.test(trimmed)) {
    throw new GatestackError(
      "E_USAGE",
      `not a registry address: "${registry}" (expected HOST[:PORT][/PATH])`,
      {
        place: "--registry",
        exitCode: 2,
      },
    );
  }
  return `${trimmed}/`;
}

interface PushEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Digest?: string };
}

/** Tag `image` as `prefix + image` and push it; resolves with the pushed digest. */
export async function pushImage(docker: Docker, image: string, prefix: string, task: Task): Promise<string> {
  const target = `${prefix}${image}`;
  const colon = target.lastIndexOf(":");
  const slash = target.lastIndexOf("/");
  const [repo, tag] = colon > slash ? [target.slice(0, colon), target.slice(colon + 1)] : [target, "latest"];
  task.running(`pushing ${target}`);
  try {
    await docker.getImage(image).tag({ repo, tag });
    const stream = (await docker.getImage(`${repo}:${tag}`).push({ tag })) as NodeJS.ReadableStream;
    let digest = "";
    for await (const ev of jsonLines<PushEvent>(stream as AsyncIterable<Buffer>)) {
      if (ev.error) {
        task.fail("push failed");
        throw new GatestackError("E_DOCKER", `pushing ${target}: ${ev.errorDetail?.message ?? ev.error}`, {
          hint: "check that the registry answers from the manager (`docker push` there), and that every node trusts it (a plain-HTTP registry needs --insecure-registry on each daemon)",
        });
      }
      if (ev.aux?.Digest) digest = ev.aux.Digest;
    }
    task.done(digest ? `${target}@${digest.slice(0, 19)}` : target);
    return digest;
  } catch (err) {
    if (err instanceof GatestackError) throw err;
    task.fail("push failed");
    throw dockerError(`pushing ${target}`, err);
  }
}

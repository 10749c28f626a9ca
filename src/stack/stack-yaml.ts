import { Document, isMap, isPair, isScalar, isSeq, type Node, visit } from "yaml";
import type { StackInput } from "./schema.js";
import type { KeyPath } from "./yaml-source.js";

/** Comments `stack init` puts above keys of the stack.yaml it writes. */
const KEY_COMMENTS: { path: KeyPath; text: string }[] = [
  { path: ["name"], text: "Project name: the Docker Compose project and the prefix of the app images." },
  { path: ["template"], text: "The starter it was created from: monolith | microservices." },
  {
    path: ["domain"],
    text: "Site Caddy serves: localhost (Caddy's internal CA) or your real domain (Let's Encrypt).",
  },
  { path: ["https"], text: "auto | internal | off (plain HTTP)." },
  { path: ["ports"], text: "Host ports Caddy publishes: the only ports the stack opens." },
  {
    path: ["gateway"],
    text: "The Kong-compatible API gateway between Caddy and the apps.\nengine: gatestack (built from this package) or kong (the official image).\ndatabase (default off, DB-less): postgres keeps the configuration in a PostgreSQL the stack runs.",
  },
  {
    path: ["gateway", "plugins"],
    text: "Global plugins run on every route; correlation-id keeps Caddy's X-Request-ID and echoes it.\nWith addons.prometheus on, `stack render` adds the prometheus plugin unless you declare your own.",
  },
  {
    path: ["services"],
    text: "Each service is a FastAPI app in services/<name>; its Dockerfile builds the image.\nroutes are gateway routes: requests matching paths go to the app (strip_path drops the prefix).",
  },
  {
    path: ["consumers"],
    text: 'API clients. Secrets are never written here: key_env names the .env variable holding the key,\ne.g. curl -H "apikey: $DEMO_API_KEY" https://localhost/api/...',
  },
  {
    path: ["addons"],
    text: "Tools beside the stack: true/false, or {enabled: true, port: 9090} to also publish on 127.0.0.1.\nComponent images can be overridden with images: {caddy: my-mirror/caddy:2.8, ...}.",
  },
];

export interface StackYamlOptions {
  /** Path or URL of schema/stack.schema.json for the yaml-language-server modeline. */
  schemaRef: string;
}

/** stack.yaml text for `input`: built as a document, with a schema modeline and explanatory comments. */
export function serializeStackYaml(input: StackInput, opts: StackYamlOptions): string {
  const doc = new Document(input);
  doc.commentBefore = [
    ` yaml-language-server: $schema=${opts.schemaRef}`,
    "",
    " The single source of truth for this stack. Edit it, then run `stack render` (or `stack up`)",
    " to regenerate compose.yaml and config/. `stack validate` checks it; `stack schema` prints its schema.",
  ].join("\n");
  for (const { path, text } of KEY_COMMENTS) {
    const key = keyNodeAt(doc, path);
    if (!key) continue;
    key.commentBefore = text
      .split("\n")
      .map((line) => ` ${line}`)
      .join("\n");
    if (path.length === 1 && path[0] !== "name") key.spaceBefore = true;
  }
  // Short lists of scalars read best inline: paths: [/api], methods: [GET, POST].
  visit(doc, {
    Seq(_, node) {
      if (node.items.length > 0 && node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 110, flowCollectionPadding: false });
}

function keyNodeAt(doc: Document, path: KeyPath): Node | undefined {
  let node: unknown = doc.contents;
  let key: Node | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === segment);
      if (!pair) return undefined;
      key = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      key = undefined;
    } else {
      return undefined;
    }
  }
  return key;
}

import { Document, isScalar, isSeq, Scalar, visit } from "yaml";
import { GENERATED_NOTICE } from "./header.js";

export interface YamlOptions {
  /** Keys whose sequence values are written in flow style (`test: [CMD, wget, …]`). */
  flowKeys?: readonly string[];
  /** Lines written below the generated-file header (what a reader of the file needs to know). */
  comment?: readonly string[];
}

/**
 * Characters that end a plain scalar inside a flow collection for YAML 1.1 readers: PyYAML (Docker
 * Compose v1, Ansible) stops at any of them, where YAML 1.2 only stops at `,[]{}`, so
 * `[CMD, curl, http://host/health?x=1]` would not parse there.
 */
const YAML11_FLOW_INDICATORS = /[,?[\]{}]/;

/**
 * Serialize a plain object as YAML with the generated-file header. YAML 1.1 quoting is used
 * so strings such as "off", "on", "yes" stay strings for YAML 1.1 readers too (Prometheus,
 * Grafana and Logstash parse with YAML 1.1 libraries); long strings are never folded; a
 * value object reused in several places is written out each time (no anchors/aliases).
 */
export function toYaml(value: unknown, options: YamlOptions = {}): string {
  return yamlDocument(value, options, true);
}

/**
 * Several objects as one multi-document YAML file (`---` between them), the generated-file
 * header above the first; each document serialized as toYaml does.
 */
export function toYamlDocuments(values: readonly unknown[], options: YamlOptions = {}): string {
  return values.map((value, i) => (i === 0 ? "" : "---\n") + yamlDocument(value, options, i === 0)).join("");
}

function yamlDocument(value: unknown, options: YamlOptions, header: boolean): string {
  const doc = new Document(value, { version: "1.1", aliasDuplicateObjects: false });
  if (header)
    doc.commentBefore = [GENERATED_NOTICE, ...(options.comment ?? [])]
      .map((l) => (l === "" ? "" : ` ${l}`))
      .join("\n");
  const flowKeys = new Set(options.flowKeys ?? []);
  if (flowKeys.size > 0) {
    visit(doc, {
      Pair(_, pair) {
        if (!isScalar(pair.key) || !flowKeys.has(String(pair.key.value)) || !isSeq(pair.value)) return;
        pair.value.flow = true;
        for (const item of pair.value.items) {
          if (isScalar(item) && typeof item.value === "string" && YAML11_FLOW_INDICATORS.test(item.value))
            item.type = Scalar.QUOTE_DOUBLE;
        }
      },
    });
  }
  return doc.toString({ lineWidth: 0, minContentWidth: 0, flowCollectionPadding: false });
}

/** JSON with two-space indentation and a final newline (no comments possible in JSON). */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

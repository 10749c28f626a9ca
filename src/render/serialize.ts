import { Document, isScalar, isSeq, visit } from "yaml";
import { GENERATED_NOTICE } from "./header.js";

export interface YamlOptions {
  /** Keys whose sequence values are written in flow style (`test: [CMD, wget, …]`). */
  flowKeys?: readonly string[];
}

/**
 * Serialize a plain object as YAML with the generated-file header. YAML 1.1 quoting is used
 * so strings such as "off", "on", "yes" stay strings for YAML 1.1 readers too (Prometheus,
 * Grafana and Logstash parse with YAML 1.1 libraries); long strings are never folded; a
 * value object reused in several places is written out each time (no anchors/aliases).
 */
export function toYaml(value: unknown, options: YamlOptions = {}): string {
  const doc = new Document(value, { version: "1.1", aliasDuplicateObjects: false });
  doc.commentBefore = ` ${GENERATED_NOTICE}`;
  const flowKeys = new Set(options.flowKeys ?? []);
  if (flowKeys.size > 0) {
    visit(doc, {
      Pair(_, pair) {
        if (isScalar(pair.key) && flowKeys.has(String(pair.key.value)) && isSeq(pair.value))
          pair.value.flow = true;
      },
    });
  }
  return doc.toString({ lineWidth: 0, minContentWidth: 0, flowCollectionPadding: false });
}

/** JSON with two-space indentation and a final newline (no comments possible in JSON). */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

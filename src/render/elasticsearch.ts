import type { StackConfig } from "../stack/schema.js";
import { toYaml } from "./serialize.js";
import { enabledAddons } from "./topology.js";
import type { Artifact } from "./types.js";

export const ELASTICSEARCH_CONFIG_PATH = "config/elasticsearch/elasticsearch.yml";

/**
 * config/elasticsearch/elasticsearch.yml: one node, no cluster discovery. Security (TLS,
 * users) is off: Elasticsearch is never published, only Logstash and Kibana on the
 * internal compose network talk to it, and people reach the data through Kibana behind
 * Caddy's basic auth. Machine learning and the GeoIP downloader are off (memory, offline).
 */
export function renderElasticsearch(stack: StackConfig): Artifact[] {
  if (!enabledAddons(stack).elk) return [];
  const settings = {
    "cluster.name": `${stack.name}-logs`,
    "node.name": "elasticsearch",
    "network.host": "0.0.0.0",
    "discovery.type": "single-node",
    "xpack.security.enabled": false,
    "xpack.ml.enabled": false,
    "ingest.geoip.downloader.enabled": false,
    "action.destructive_requires_name": true,
  };
  return [{ path: ELASTICSEARCH_CONFIG_PATH, content: toYaml(settings) }];
}

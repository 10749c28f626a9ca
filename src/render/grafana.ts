import type { StackConfig } from "../stack/schema.js";
import { gatewayDashboard, PROMETHEUS_DATASOURCE_UID } from "./grafana-dashboard.js";
import { toJson, toYaml } from "./serialize.js";
import { enabledAddons, PORTS } from "./topology.js";
import type { Artifact } from "./types.js";

export const GRAFANA_PROVISIONING_DIR = "config/grafana/provisioning";
/** Where compose mounts the provisioning folder inside the Grafana container. */
const CONTAINER_PROVISIONING_DIR = "/etc/grafana/provisioning";

/**
 * config/grafana/provisioning/: the Prometheus datasource, a file dashboard provider and
 * the gateway dashboard. Rendered when both Grafana and Prometheus are enabled (a
 * dashboard without its datasource would only show errors).
 */
export function renderGrafanaProvisioning(stack: StackConfig): Artifact[] {
  const addons = enabledAddons(stack);
  if (!addons.grafana || !addons.prometheus) return [];
  const datasources = {
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        uid: PROMETHEUS_DATASOURCE_UID,
        type: "prometheus",
        access: "proxy",
        url: `http://prometheus:${PORTS.prometheus}`,
        isDefault: true,
        editable: false,
      },
    ],
  };
  const providers = {
    apiVersion: 1,
    providers: [
      {
        name: "gatestack",
        folder: "gatestack",
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        options: { path: `${CONTAINER_PROVISIONING_DIR}/dashboards`, foldersFromFilesStructure: false },
      },
    ],
  };
  return [
    { path: `${GRAFANA_PROVISIONING_DIR}/datasources/prometheus.yaml`, content: toYaml(datasources) },
    { path: `${GRAFANA_PROVISIONING_DIR}/dashboards/dashboards.yaml`, content: toYaml(providers) },
    { path: `${GRAFANA_PROVISIONING_DIR}/dashboards/gateway.json`, content: toJson(gatewayDashboard()) },
  ];
}

import { JENKINS_ADMIN_PASSWORD } from "../stack/env-vars.js";
import { GATESTACK_VERSION } from "../stack/images.js";
import type { StackConfig } from "../stack/schema.js";
import { GENERATED_NOTICE } from "./header.js";
import { toYaml } from "./serialize.js";
import { renderTemplate } from "./templates.js";
import {
  enabledAddons,
  envInterpolation,
  PORTS,
  replicaContainerName,
  serviceSource,
  siteUrl,
} from "./topology.js";
import type { Artifact } from "./types.js";

export const JENKINS_CASC_PATH = "config/jenkins/casc.yaml";
export const JENKINS_PLUGINS_PATH = "config/jenkins/plugins.txt";
export const JENKINSFILE_PATH = "Jenkinsfile";

/** Where compose mounts the stack's git history inside the Jenkins container. */
const REPO_URL = "file:///srv/stack.git";
const NODE_TOOL = "node20";
const NODE_VERSION = "20.18.1";
/** Plugins casc.yaml and the Jenkinsfile use (installed by jenkins-plugin-cli at start). */
const PLUGINS = ["configuration-as-code", "job-dsl", "workflow-aggregator", "git", "nodejs"];

/** A Groovy single-quoted string literal. */
function groovyString(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** The Job DSL script that creates the stack's pipeline job from its Jenkinsfile. */
function pipelineJobScript(stack: StackConfig): string {
  return [
    `pipelineJob(${groovyString(stack.name)}) {`,
    `  description(${groovyString(`Validate, test and deploy the ${stack.name} stack (${GENERATED_NOTICE}).`)})`,
    "  definition {",
    "    cpsScm {",
    "      scm {",
    "        git {",
    `          remote { url(${groovyString(REPO_URL)}) }`,
    `          branch('*/main')`,
    "        }",
    "      }",
    `      scriptPath(${groovyString(JENKINSFILE_PATH)})`,
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * Jenkins for the CI addon: casc.yaml (Configuration as Code: the admin user with its
 * password from ${JENKINS_ADMIN_PASSWORD}, served under /jenkins, a Node.js tool for the
 * `stack` CLI, and a pipeline job building this repository's Jenkinsfile), plugins.txt,
 * and the Jenkinsfile itself at the stack root.
 */
export function renderJenkins(stack: StackConfig): Artifact[] {
  if (!enabledAddons(stack).jenkins) return [];
  const casc = {
    jenkins: {
      systemMessage: `${stack.name} — ${GENERATED_NOTICE}`,
      numExecutors: 2,
      mode: "NORMAL",
      securityRealm: {
        local: {
          allowsSignup: false,
          users: [{ id: "admin", name: "Administrator", password: envInterpolation(JENKINS_ADMIN_PASSWORD) }],
        },
      },
      authorizationStrategy: { loggedInUsersCanDoAnything: { allowAnonymousRead: false } },
      crumbIssuer: { standard: { excludeClientIPFromCrumb: true } },
    },
    unclassified: { location: { url: `${siteUrl(stack)}/jenkins/` } },
    tool: {
      nodejs: {
        installations: [
          {
            name: NODE_TOOL,
            properties: [
              {
                installSource: {
                  installers: [{ nodeJSInstaller: { id: NODE_VERSION, npmPackagesRefreshHours: 72 } }],
                },
              },
            ],
          },
        ],
      },
    },
    jobs: [{ script: pipelineJobScript(stack) }],
  };
  return [
    { path: JENKINS_CASC_PATH, content: toYaml(casc) },
    { path: JENKINS_PLUGINS_PATH, content: `# ${GENERATED_NOTICE}\n${PLUGINS.join("\n")}\n` },
    { path: JENKINSFILE_PATH, content: renderJenkinsfile(stack) },
  ];
}

function renderJenkinsfile(stack: StackConfig): string {
  const replicas = stack.gateway.replicas;
  const adminUrl = (host: string) => `http://${host}:${PORTS.gatewayAdmin}/config`;
  // Every replica holds its own config: push to each (container names), or to `gateway` when there is one.
  const pushTargets =
    stack.gateway.engine === "kong"
      ? []
      : replicas === 1
        ? [adminUrl("gateway")]
        : Array.from({ length: replicas }, (_, i) =>
            adminUrl(replicaContainerName(stack.name, "gateway", i + 1)),
          );
  return renderTemplate("jenkins/Jenkinsfile.hbs", {
    notice: GENERATED_NOTICE,
    project: stack.name,
    nodeTool: NODE_TOOL,
    version: GATESTACK_VERSION,
    services: stack.services.map((s) => groovyString(serviceSource(s))),
    pushTargets,
  });
}

import { usesDatabase } from "../stack/database.js";
import { JENKINS_ADMIN_PASSWORD } from "../stack/env-vars.js";
import { imageFor } from "../stack/images.js";
import type { StackConfig } from "../stack/schema.js";
import { GATEWAY_CONFIG_FILE } from "./gateway.js";
import { GENERATED_NOTICE } from "./header.js";
import { JENKINS_PLUGINS } from "./jenkins-plugins.js";
import { toYaml } from "./serialize.js";
import { renderTemplate } from "./templates.js";
import { enabledAddons, envInterpolation, serviceSource, siteUrl } from "./topology.js";
import type { Artifact } from "./types.js";

export const JENKINS_CASC_PATH = "config/jenkins/casc.yaml";
export const JENKINS_PLUGINS_PATH = "config/jenkins/plugins.txt";
export const JENKINS_DOCKERFILE_PATH = "config/jenkins/Dockerfile";
/** The Jenkins image's build context (compose.yaml `build:`), relative to the stack folder. */
export const JENKINS_BUILD_CONTEXT = "./config/jenkins";
export const JENKINSFILE_PATH = "Jenkinsfile";

/** Where compose mounts the stack's git history inside the Jenkins container. */
export const JENKINS_REPO_PATH = "/srv/stack.git";
const REPO_URL = `file://${JENKINS_REPO_PATH}`;
/**
 * The job builds the branch the stack folder is on. The mounted history is the folder's own .git,
 * whose HEAD names its checked-out branch; the git plugin's default refspec
 * (+refs/heads/*:refs/remotes/origin/*) never brings a remote's HEAD (it only fetches branches, and the
 * plugin does not run `git remote set-head`), so a branch specifier `HEAD`, `origin/HEAD` or `**` alone
 * cannot mean "the current branch": `**` builds every branch in turn, and a fixed name (main) breaks on
 * a repository whose branch is called otherwise. So the job fetches that HEAD itself, under a ref of
 * its own, and builds exactly that ref (a `refs/remotes/<remote>/<name>` specifier, unambiguous).
 */
const HEAD_REF = "refs/remotes/origin/stack-head";
const HEAD_REFSPEC = `+HEAD:${HEAD_REF}`;

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
    "          remote {",
    `            url(${groovyString(REPO_URL)})`,
    `            refspec(${groovyString(HEAD_REFSPEC)})`,
    "          }",
    `          branch(${groovyString(HEAD_REF)})`,
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
 * Jenkins for the CI addon: the Dockerfile of the stack's Jenkins image (plugins, python3 and the
 * `stack` CLI baked in), plugins.txt (every plugin pinned, dependencies included), casc.yaml
 * (Configuration as Code: the admin user with its password from ${JENKINS_ADMIN_PASSWORD}, served
 * under /jenkins, and a pipeline job building this repository's Jenkinsfile), and the Jenkinsfile
 * itself at the stack root.
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
    jobs: [{ script: pipelineJobScript(stack) }],
  };
  return [
    { path: JENKINS_CASC_PATH, content: toYaml(casc) },
    { path: JENKINS_PLUGINS_PATH, content: renderPluginsTxt() },
    { path: JENKINS_DOCKERFILE_PATH, content: renderDockerfile(stack) },
    { path: JENKINSFILE_PATH, content: renderJenkinsfile(stack) },
  ];
}

/** jenkins-plugin-cli's input: one `name:version` a line. */
function renderPluginsTxt(): string {
  const lines = JENKINS_PLUGINS.map((p) => `${p.name}:${p.version}`);
  return `# ${GENERATED_NOTICE}\n${lines.join("\n")}\n`;
}

/** The build args compose.yaml passes to the Jenkins image build (the Dockerfile's defaults too). */
export function jenkinsBuildArgs(stack: StackConfig): { JENKINS_IMAGE: string; GATEWAY_IMAGE: string } {
  // The CLI comes from gatestack's own gateway image even when the stack runs Kong.
  return { JENKINS_IMAGE: imageFor(stack, "jenkins"), GATEWAY_IMAGE: imageFor(stack, "gateway") };
}

function renderDockerfile(stack: StackConfig): string {
  const args = jenkinsBuildArgs(stack);
  return renderTemplate("jenkins/Dockerfile.hbs", {
    notice: GENERATED_NOTICE,
    project: stack.name,
    jenkinsImage: args.JENKINS_IMAGE,
    gatewayImage: args.GATEWAY_IMAGE,
    repoPath: JENKINS_REPO_PATH,
  });
}

function renderJenkinsfile(stack: StackConfig): string {
  // `stack gateway sync` in the checkout reaches every replica by container name: DB-less a
  // POST /config to each, in database mode one sync (which, unlike POST /config, leaves what was
  // created through the Admin API alone), then each replica's configuration hash checked. Kong's
  // Admin API listens on loopback only: nothing is pushed.
  const kong = stack.gateway.engine === "kong";
  const database = usesDatabase(stack);
  return renderTemplate("jenkins/Jenkinsfile.hbs", {
    notice: GENERATED_NOTICE,
    project: stack.name,
    services: stack.services.map((s) => groovyString(serviceSource(s))),
    push: !kong,
    database,
    configFile: GATEWAY_CONFIG_FILE,
  });
}

/**
 * A compose service's environment and command as a Kubernetes container's. compose.yaml is the
 * one list of what each container gets; there a `${NAME}` is a .env variable, so here it is a
 * key of the stack's Secret (secretKeyRef), never a value. A `${NAME}` inside a longer value or
 * in the command becomes Kubernetes' own `$(NAME)` reference to a variable set from the Secret
 * before it; a literal `$(` is escaped as `$$(` so Kubernetes leaves it alone.
 */
import type { IEnvVar } from "./kubernetes-model.js";

const INTERPOLATION = /\$\{([A-Z_][A-Z0-9_]*)\}/g;
const WHOLE_INTERPOLATION = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

/** The Secret the kubernetes target builds from .env (secretGenerator: a hash suffix is added). */
export function secretName(stackName: string): string {
  return `${stackName}-env`;
}

export interface ContainerEnv {
  env: IEnvVar[];
  args?: string[];
}

function fromSecret(name: string, key: string, secret: string): IEnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

/** `${NAME}` → `$(NAME)`, literal `$(` kept literal; the names referenced are added to `used`. */
function toKubernetesReferences(text: string, used: Set<string>): string {
  return text
    .replaceAll("$(", () => "$$(")
    .replace(INTERPOLATION, (_, name: string) => {
      used.add(name);
      return `$(${name})`;
    });
}

/** The container env and args for a compose service's `environment` and `command`. */
export function containerEnv(
  environment: Record<string, string> | undefined,
  command: string[] | undefined,
  secret: string,
): ContainerEnv {
  const direct: IEnvVar[] = [];
  const referenced = new Set<string>();
  for (const [name, value] of Object.entries(environment ?? {})) {
    const whole = WHOLE_INTERPOLATION.exec(value);
    if (whole) direct.push(fromSecret(name, whole[1]!, secret));
    else direct.push({ name, value: toKubernetesReferences(value, referenced) });
  }
  const args = command?.map((arg) => toKubernetesReferences(arg, referenced));
  // A `$(NAME)` resolves only against variables listed before it: the Secret's come first.
  const defined = new Set(direct.filter((e) => e.valueFrom !== undefined).map((e) => e.name));
  const helpers = [...referenced]
    .filter((name) => !defined.has(name))
    .sort()
    .map((name) => fromSecret(name, name, secret));
  const env = [
    ...helpers,
    ...direct.filter((e) => e.valueFrom !== undefined),
    ...direct.filter((e) => e.valueFrom === undefined),
  ];
  return args === undefined ? { env } : { env, args };
}

/** Every Secret key a set of containers reads. */
export function secretKeysOf(envs: readonly IEnvVar[]): string[] {
  const keys = new Set<string>();
  for (const e of envs) {
    const key = e.valueFrom?.secretKeyRef?.key;
    if (key !== undefined) keys.add(key);
  }
  return [...keys].sort();
}

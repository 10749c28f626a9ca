/**
 * A Swarm stack's objects on the manager, found by the label `docker stack deploy` puts on
 * everything it creates (`com.docker.stack.namespace=<stack>`); gatestack labels the secrets it
 * creates the same way, so `docker stack ps|services|rm` and `stack ps|down` see one stack.
 */
import type Docker from "dockerode";
import { GatestackError } from "../../errors.js";
import { dockerError } from "../engine.js";

export const STACK_NAMESPACE_LABEL = "com.docker.stack.namespace";
/** Ours, on secrets `stack deploy` creates: the stack.yaml-side name (the .env variable). */
export const SECRET_KEY_LABEL = "dev.gatestack.secret";

export function namespaceFilter(stack: string): string {
  return JSON.stringify({ label: [`${STACK_NAMESPACE_LABEL}=${stack}`] });
}

/** The subset of the Engine API's service and task objects read here. */
export interface SwarmServiceInfo {
  ID: string;
  Version?: { Index?: number };
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    Mode?: { Replicated?: { Replicas?: number }; Global?: Record<string, never> };
    TaskTemplate?: {
      ContainerSpec?: {
        Image?: string;
        Configs?: Array<{ ConfigName?: string }>;
        Secrets?: Array<{ SecretName?: string }>;
      } & Record<string, unknown>;
      Placement?: { Constraints?: string[] };
    };
  };
  UpdateStatus?: { State?: string; Message?: string };
}

export interface SwarmTaskInfo {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  CreatedAt?: string;
  Spec?: { ContainerSpec?: Record<string, unknown> };
  Status?: {
    State?: string;
    Message?: string;
    Err?: string;
    Timestamp?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
  NetworksAttachments?: Array<{ Network?: { Spec?: { Name?: string } }; Addresses?: string[] }>;
}

export interface SwarmNodeInfo {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Role?: string; Availability?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Addr?: string; Reachability?: string };
}

export async function stackServices(docker: Docker, stack: string): Promise<SwarmServiceInfo[]> {
  try {
    const list = (await docker.listServices({
      filters: namespaceFilter(stack),
    })) as unknown as SwarmServiceInfo[];
    return list.sort((a, b) => (a.Spec.Name < b.Spec.Name ? -1 : 1));
  } catch (err) {
    throw dockerError(`listing the services of stack ${stack}`, err);
  }
}

export async function stackTasks(docker: Docker, stack: string): Promise<SwarmTaskInfo[]> {
  try {
    return (await docker.listTasks({ filters: namespaceFilter(stack) })) as unknown as SwarmTaskInfo[];
  } catch (err) {
    throw dockerError(`listing the tasks of stack ${stack}`, err);
  }
}

export async function swarmNodes(docker: Docker): Promise<SwarmNodeInfo[]> {
  try {
    return (await docker.listNodes()) as unknown as SwarmNodeInfo[];
  } catch (err) {
    throw dockerError("listing the swarm's nodes", err);
  }
}

/** `users` for the service `shop_users` of stack `shop`. */
export function shortServiceName(stack: string, name: string): string {
  return name.startsWith(`${stack}_`) ? name.slice(stack.length + 1) : name;
}

export interface SwarmState {
  nodes: number;
  managers: number;
}

/**
 * The engine is a swarm manager (else an error saying what to do), and how many nodes it has. A
 * worker cannot deploy: the docker CLI would say "this node is not a swarm manager" after the
 * images were already built.
 */
export async function requireSwarmManager(docker: Docker, where: string): Promise<SwarmState> {
  let info: {
    Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; Nodes?: number; Managers?: number };
  };
  try {
    info = (await docker.info()) as typeof info;
  } catch (err) {
    throw dockerError(`asking ${where} for its swarm state`, err);
  }
  const swarm = info.Swarm;
  if (swarm?.LocalNodeState !== "active") {
    throw new GatestackError("E_SWARM", `${where} is not part of a Docker Swarm`, {
      hint: "run `docker swarm init` on the machine that is to be the manager (and `docker swarm join` on the others), or point --host/--context at a manager",
    });
  }
  if (swarm.ControlAvailable !== true) {
    throw new GatestackError("E_SWARM", `${where} is a swarm worker: deploying needs a manager`, {
      hint: "point --host or --context at a manager node (`docker node ls` on a manager lists them)",
    });
  }
  return { nodes: swarm.Nodes ?? 1, managers: swarm.Managers ?? 1 };
}

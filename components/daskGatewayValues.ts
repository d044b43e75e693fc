/**
 * Pure: the values of a hub's dask-gateway release, what the hub's own z2jh values add for it, and the network
 * policies around its pods. Value paths are those of the dask-gateway chart 2026.3.0
 * (dask/dask-gateway `resources/helm/dask-gateway/values.yaml`, `templates/gateway/configmap.yaml`).
 */
import * as pulumi from "@pulumi/pulumi";
import { pythonJson } from "./hooks/spawnHooks";
import { CloudMetadataAccess, USER_SERVICE_ACCOUNT, UserSecretEnv } from "./platform";
import { Placement } from "./poolPlacement";
import { PlainObject } from "./util";

export const DASK_GATEWAY_REPOSITORY = "https://helm.dask.org";
export const DASK_GATEWAY_CHART_VERSION = "2026.3.0";
/**
 * The release name. It contains the chart's name, so the chart's fullname is the release name itself
 * (`_helpers.tpl` `dask-gateway.fullname`), and its proxy Service is `traefik-dask-gateway`.
 */
export const DASK_GATEWAY_RELEASE = "dask-gateway";
/** The JupyterHub service users reach the gateway through; dask-gateway requires tokens scoped to it. */
export const DASK_GATEWAY_SERVICE = "dask-gateway";
/** The gateway answers under the hub's service path, so the hub's proxy can forward dashboards to it unchanged. */
const PREFIX = `/services/${DASK_GATEWAY_SERVICE}`;
const TRAEFIK_SERVICE = `traefik-${DASK_GATEWAY_RELEASE}`;
/** The traefik container's port behind the Service's port 80, for HTTP and the scheduler TCP traffic alike (values `traefik.service.ports.tcp.port: web`). */
const TRAEFIK_PORT = 8000;

/** Labels the chart and the gateway's Kubernetes backend put on every pod (backends/kubernetes/backend.py `common_labels`, component labels). */
const APP_LABEL = { "app.kubernetes.io/name": "dask-gateway" } as const;
const COMPONENT = "app.kubernetes.io/component";
/** z2jh's labels of user servers and the proxy, which the chart's own network policies select by. */
const USER_POD_LABELS = { component: "singleuser-server" } as const;
const PROXY_POD_LABELS = { component: "proxy" } as const;

export interface DaskGatewayValuesInput {
    /** The hub's namespace, which the gateway shares. */
    readonly namespace: string;
    /** Scheduler and worker image as name:tag, or the chart's default. */
    readonly image?: string;
    /** Where schedulers and workers run; none on an existing cluster whose nodes the fleet did not label. */
    readonly placement?: Placement;
    readonly maxCores?: number;
    /** Bytes. */
    readonly maxMemory?: number;
    readonly idleTimeoutMinutes: number;
    /** Per-user Secrets schedulers and workers get as their users' servers do; none where the platform has none. */
    readonly userSecrets?: DaskUserSecrets;
    /**
     * Variables every scheduler and worker gets, as user servers do (the platform's S3 endpoint, region and
     * checksum settings): without them s3fs on a worker would go to AWS with OVH keys.
     */
    readonly environment?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** The platform's per-user Secrets (UserSecretEnv), with the Secret in the hub's namespace that holds their index. */
export interface DaskUserSecrets extends UserSecretEnv {
    /** The Secret holding `indexFile`: the one the hub pod mounts its platform files from. */
    readonly indexSecret: string;
}

/** The gateway pod's variable holding the index (the chart mounts no extra volumes, but takes `gateway.env`). */
const USER_SECRET_INDEX_ENV = "FLEET_USER_SECRET_INDEX";
/** The gateway pod's annotation that restarts it when the index changes: a variable from a Secret is read once, at start. */
export const USER_SECRET_INDEX_ANNOTATION = "jupyterhub-fleet/user-secret-index-sha256";

/** Environment users get so `dask_gateway.Gateway()` finds the gateway and logs in with their hub token. */
export function daskGatewayUserEnv(namespace: string): Record<string, string> {
    return {
        DASK_GATEWAY__ADDRESS: `http://${TRAEFIK_SERVICE}.${namespace}${PREFIX}`,
        DASK_GATEWAY__PROXY_ADDRESS: `gateway://${TRAEFIK_SERVICE}.${namespace}:80`,
        // Dashboard links open in the browser, through the hub's proxy.
        DASK_GATEWAY__PUBLIC_ADDRESS: `${PREFIX}/`,
        DASK_GATEWAY__AUTH__TYPE: "jupyterhub",
    };
}

/** What the hub's z2jh values add for its gateway, besides the users' env and the service's token. */
export interface DaskGatewayHubValues {
    /** `hub.services`: the hub's proxy routes `/services/dask-gateway/` to the service's URL. */
    readonly services: PlainObject;
    /**
     * `hub.loadRoles`: the scope users and their servers' tokens need to use the gateway (dask-gateway
     * `docs/source/authentication.rst`; JupyterHub 5 `roles.py`: `self` does not include it, and the `server`
     * role holds the scopes of $JUPYTERHUB_API_TOKEN, which the gateway client logs in with).
     */
    readonly loadRoles: PlainObject;
    /** `singleuser.networkPolicy.egress` rules: user servers reach the gateway's proxy. */
    readonly userEgress: PlainObject[];
}

export function daskGatewayHubValues(namespace: string): DaskGatewayHubValues {
    const access = `access:services!service=${DASK_GATEWAY_SERVICE}`;
    return {
        services: { [DASK_GATEWAY_SERVICE]: { url: `http://${TRAEFIK_SERVICE}.${namespace}` } },
        loadRoles: {
            user: { scopes: ["self", access] },
            server: { scopes: ["users:activity!user", "access:servers!server", access] },
        },
        userEgress: [{
            to: [{ podSelector: { matchLabels: { ...APP_LABEL, [COMPONENT]: "traefik" } } }],
            ports: [{ port: TRAEFIK_PORT, protocol: "TCP" }],
        }],
    };
}

/** The gateway's own Python config: per-cluster limits and the idle timeout (dask-gateway `backends/base.py` ClusterConfig). */
function limitsConfig(input: DaskGatewayValuesInput): string {
    const lines = [
        "# Generated by jupyterhub-fleet: limits of every dask cluster (hubs.<hub>.daskGateway).",
        `c.ClusterConfig.idle_timeout = ${input.idleTimeoutMinutes * 60}`,
        ...input.maxCores === undefined ? [] : [`c.ClusterConfig.cluster_max_cores = ${input.maxCores}`],
        ...input.maxMemory === undefined ? [] : [`c.ClusterConfig.cluster_max_memory = ${Math.floor(input.maxMemory)}`],
    ];
    return lines.join("\n") + "\n";
}

/**
 * The gateway's Python config for per-user Secrets: a `cluster_options` handler, which dask-gateway calls with
 * the user creating the cluster (dask_gateway_server/options.py `Options`, `handler(options, user)`;
 * backends/base.py `process_cluster_options` makes the cluster's config from what it returns). It looks the
 * user up in the index as the hub's spawn hook does, and adds `valueFrom.secretKeyRef` variables to the
 * scheduler and worker containers: the kubelet resolves them, so no key is in the gateway, its values or the
 * DaskCluster object. backends/kubernetes/controller.py `make_pod` merges the extra container config into the
 * container with `merge_json_objects`, which appends lists, so these follow the gateway's own variables.
 * These overrides replace `gateway.backend.*.extraContainerConfig`, which the fleet leaves empty.
 */
function userSecretsConfig(secrets: DaskUserSecrets): string {
    return `# Generated by jupyterhub-fleet: each user's dask cluster gets the Secret their server gets.
import json
import os

from dask_gateway_server.options import Options


def fleet_user_secret_options(index, fallback, variables):
    def handler(options, user):
        secret = index.get(user.name, index.get(fallback))
        if secret is None:
            # The user's server gets none either (no entry of theirs and no fallback).
            return {}
        env = [{"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": name}}} for name in variables]
        return {"scheduler_extra_container_config": {"env": env}, "worker_extra_container_config": {"env": env}}

    return Options(handler=handler)


# Read once: the pod restarts when the index changes (annotation ${USER_SECRET_INDEX_ANNOTATION}).
c.Backend.cluster_options = fleet_user_secret_options(
    json.loads(os.environ[${JSON.stringify(USER_SECRET_INDEX_ENV)}]), ${JSON.stringify(secrets.fallbackKey)}, ${pythonJson(secrets.variables)},
)
`;
}

function imageValues(image: string | undefined): PlainObject | undefined {
    if (image === undefined) return undefined;
    const at = image.lastIndexOf(":");
    return { name: image.slice(0, at), tag: image.slice(at + 1) };
}

/**
 * The release's public values. Schedulers and workers run as the hub's `user-sa`, so they act with the hub's
 * cloud identity (IRSA, Workload Identity) exactly like its users' servers; where users have Secrets of their
 * own instead (OVH's S3 keys), each user's schedulers and workers get that user's.
 */
export function daskGatewayValues(input: DaskGatewayValuesInput): PlainObject {
    const podConfig: PlainObject = {
        serviceAccountName: USER_SERVICE_ACCOUNT,
        ...input.placement ? { nodeSelector: input.placement.nodeSelector, tolerations: input.placement.tolerations } : {},
    };
    const image = imageValues(input.image);
    return {
        gateway: {
            prefix: PREFIX,
            auth: {
                type: "jupyterhub",
                jupyterhub: {
                    apiUrl: `http://hub.${input.namespace}:8081/hub/api`,
                    // With a service name the gateway admits only tokens scoped to the service.
                    jupyterhubServiceName: DASK_GATEWAY_SERVICE,
                },
            },
            backend: {
                ...image ? { image } : {},
                // The chart's ClusterConfig.environment, set on schedulers and workers (templates/gateway/configmap.yaml).
                ...input.environment && Object.keys(input.environment).length ? { environment: { ...input.environment } } : {},
                scheduler: { extraPodConfig: podConfig },
                worker: { extraPodConfig: podConfig },
            },
            ...input.userSecrets ? {
                env: [{
                    name: USER_SECRET_INDEX_ENV,
                    valueFrom: { secretKeyRef: { name: input.userSecrets.indexSecret, key: input.userSecrets.indexFile } },
                }],
            } : {},
            extraConfig: {
                "fleet-limits": limitsConfig(input),
                ...input.userSecrets ? { "fleet-user-secrets": userSecretsConfig(input.userSecrets) } : {},
            },
        },
        // Reached in the cluster and through the hub's proxy only: the chart's default LoadBalancer would put the
        // gateway on the internet.
        traefik: { service: { type: "ClusterIP" } },
    };
}

/**
 * The secret part: the hub service token the gateway checks users' tokens with (`gateway.auth.jupyterhub.apiToken`),
 * and the digest of the per-user Secret index (derived from a secret), which restarts the gateway when it changes.
 */
export function daskGatewaySecretValues(apiToken: pulumi.Input<string>, userSecretIndexSha256?: pulumi.Input<string>): PlainObject {
    return {
        gateway: {
            auth: { jupyterhub: { apiToken } },
            ...userSecretIndexSha256 === undefined ? {} : { annotations: { [USER_SECRET_INDEX_ANNOTATION]: userSecretIndexSha256 } },
        },
    };
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
const CLOUD_METADATA = "169.254.169.254/32";

/**
 * NetworkPolicy specs by role (named `dask-gateway-<role>` in the hub's namespace). Every gateway pod (API, proxy, controller, schedulers, workers) accepts its
 * own kind; the proxy also accepts the hub's users and the hub's proxy; schedulers and workers reach each
 * other, DNS and the internet, not private addresses or the cloud metadata server (unless the platform's
 * identity lives there: GKE Workload Identity), plus what the platform lets user servers reach.
 */
export function daskNetworkPolicies(cloudMetadata: CloudMetadataAccess, userEgress: readonly PlainObject[]): Record<string, PlainObject> {
    const gatewayPods = { podSelector: { matchLabels: { ...APP_LABEL } } };
    return {
        internal: {
            podSelector: { matchLabels: { ...APP_LABEL } },
            policyTypes: ["Ingress"],
            ingress: [{ from: [gatewayPods] }],
        },
        users: {
            podSelector: { matchLabels: { ...APP_LABEL, [COMPONENT]: "traefik" } },
            policyTypes: ["Ingress"],
            ingress: [{
                from: [{ podSelector: { matchLabels: { ...USER_POD_LABELS } } }, { podSelector: { matchLabels: { ...PROXY_POD_LABELS } } }],
                ports: [{ port: TRAEFIK_PORT, protocol: "TCP" }],
            }],
        },
        clusters: {
            podSelector: {
                matchLabels: { ...APP_LABEL },
                matchExpressions: [{ key: COMPONENT, operator: "In", values: ["dask-scheduler", "dask-worker"] }],
            },
            policyTypes: ["Egress"],
            egress: [
                { to: [gatewayPods] },
                { ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }] },
                { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES, ...cloudMetadata === "allow" ? [] : [CLOUD_METADATA]] } }] },
                ...userEgress,
            ],
        },
    };
}

/**
 * Pure GKE settings: what a node pool looks like for its purpose, how a version choice maps onto the
 * cluster, and the kubeconfig text. No resources here, so the rules are tested without mocks.
 */
import { GcpClusterSpec, NodePoolSpec } from "../config";
import { DEFAULT_NETWORK } from "../config/gcp";
import { apiTaintEffect, poolScheduling } from "../nodePoolScheduling";
import { GPU_TAINT, USER_TAINT } from "../platform";
import { stableJson } from "../util";

/**
 * The user-pool taint, in the underscore form the 2i2c GKE clusters use (their node pools carry it
 * already, so adopting one changes nothing); z2jh user pods tolerate it as well as the `/` form.
 */
export const GKE_USER_TAINT = { key: USER_TAINT.key.replace("/", "_"), value: USER_TAINT.value, effect: "NO_SCHEDULE" } as const;

/** Pods only see the GKE metadata server, which serves Workload Identity tokens and hides the node's own credentials. */
export const WORKLOAD_METADATA_MODE = "GKE_METADATA";

/**
 * Nodes' OAuth scopes: all of Google Cloud, so that what nodes may do is decided by their service account's
 * IAM roles alone (GKE docs, "Access scopes": with a custom service account, scopes are only a second limit).
 */
export const NODE_OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];

export interface ClusterNetwork {
    readonly network: string;
    readonly subnetwork: string;
}

/** The cluster's VPC and subnetwork; the `default` network's subnet in each region is also called `default`. */
export function clusterNetwork(cluster: Pick<GcpClusterSpec, "network" | "subnetwork">): ClusterNetwork {
    return { network: cluster.network, subnetwork: cluster.subnetwork ?? DEFAULT_NETWORK };
}

export interface NodePoolSettings {
    readonly labels: Record<string, string>;
    readonly taints: { key: string; value: string; effect: string }[];
    /** The pool's zones where it names them; otherwise the cluster's node locations (its `zone`). */
    readonly nodeLocations?: string[];
    /** Per-zone bounds for a one-zone pool (the pool's totals there); totals across the zones of a multi-zone pool. */
    readonly autoscaling: { minNodeCount: number; maxNodeCount: number } | { totalMinNodeCount: number; totalMaxNodeCount: number };
    /** Nodes per zone the pool starts with. */
    readonly initialNodeCount: number;
    readonly guestAccelerators?: { type: string; count: number; gpuDriverInstallationConfig: { gpuDriverVersion: string } }[];
}

/**
 * The node pool shape of one pool: the fleet's and the pool's labels and taints (nodePoolScheduling.ts), zones,
 * autoscaling bounds and GPUs. Two differences from the other clouds:
 * - the user taint in GKE's underscore form (GKE_USER_TAINT);
 * - no GPU taint: GKE puts `nvidia.com/gpu=present:NoSchedule` on GPU nodes itself (GKE docs, "Run GPUs in GKE
 *   Standard node pools") and refuses a pool that sends it too ("Found more than one taint with key
 *   nvidia.com/gpu and effect NO_SCHEDULE", hashicorp/terraform-provider-google#7928); the provider keeps taints
 *   GKE adds out of `taint` (`effective_taints`), so leaving it out shows no diff either.
 * GKE installs the driver (`gpuDriverInstallationConfig`) and runs its own device plugin on GPU nodes.
 */
export function nodePoolSettings(poolKey: string, pool: NodePoolSpec): NodePoolSettings {
    const scheduling = poolScheduling(poolKey, pool);
    const zoneCount = pool.zones?.length ?? 1;
    return {
        labels: { ...scheduling.labels },
        taints: scheduling.taints
            .filter(t => t.key !== GPU_TAINT.key)
            .map(t => t.key === USER_TAINT.key ? { ...GKE_USER_TAINT } : { key: t.key, value: t.value, effect: apiTaintEffect(t.effect) }),
        ...(pool.zones ? { nodeLocations: [...pool.zones] } : {}),
        autoscaling: zoneCount > 1
            ? { totalMinNodeCount: pool.minNodes, totalMaxNodeCount: pool.maxNodes }
            : { minNodeCount: pool.minNodes, maxNodeCount: pool.maxNodes },
        initialNodeCount: Math.ceil(pool.minNodes / zoneCount),
        ...(pool.gpu ? {
            guestAccelerators: [{
                type: gkeAcceleratorType(poolKey, pool),
                count: pool.gpu.count,
                // The driver GKE tests with the node version; LATEST would move it on node upgrades.
                gpuDriverInstallationConfig: { gpuDriverVersion: "DEFAULT" },
            }],
        } : {}),
    };
}

/** The accelerator type of a GPU pool; the config check refuses a GCP GPU pool without one. */
function gkeAcceleratorType(poolKey: string, pool: NodePoolSpec): string {
    if (!pool.gpu?.type) throw new Error(`nodePools.${poolKey}.gpu.type: GKE needs the accelerator type, e.g. nvidia-tesla-t4`);
    return pool.gpu.type;
}

export interface VersionSettings {
    readonly minMasterVersion?: string;
    readonly releaseChannel: { channel: string };
}

/**
 * A pinned version opts out of release channels explicitly: GKE enrolls a cluster created without a
 * channel in REGULAR, which would upgrade it past the pin on its own schedule.
 */
export function versionSettings(cluster: Pick<GcpClusterSpec, "kubernetesVersion" | "releaseChannel">): VersionSettings {
    if (cluster.kubernetesVersion) {
        return { minMasterVersion: cluster.kubernetesVersion, releaseChannel: { channel: "UNSPECIFIED" } };
    }
    return { releaseChannel: { channel: cluster.releaseChannel ?? "REGULAR" } };
}

/**
 * Dataplane V2 rather than the Calico add-on: NetworkPolicy enforcement is built into its eBPF dataplane
 * (no Calico DaemonSet on every node, and no node re-creation when enforcement is switched on), and it is
 * the dataplane Google develops further. It can only be chosen when the cluster is created, so turning
 * `networkPolicy` off on an existing cluster means a new cluster (deletion protection stops that replace).
 */
export function datapathProvider(networkPolicy: boolean): "ADVANCED_DATAPATH" | "LEGACY_DATAPATH" {
    return networkPolicy ? "ADVANCED_DATAPATH" : "LEGACY_DATAPATH";
}

export interface KubeconfigArgs {
    /** Context, cluster and user name; gcloud's `gke_<project>_<location>_<cluster>` form. */
    readonly contextName: string;
    /** The cluster endpoint's IP address (GKE reports it without a scheme). */
    readonly endpoint: string;
    /** Base64 PEM of the cluster CA. */
    readonly caCertificate: string;
}

/**
 * A kubeconfig that gets short-lived tokens from `gke-gcloud-auth-plugin`, so it holds no credential and
 * works for any operator signed in with gcloud. JSON is valid YAML, and sorted keys keep it stable.
 */
export function gkeKubeconfig(args: KubeconfigArgs): string {
    const name = args.contextName;
    return stableJson({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server: `https://${args.endpoint}`, "certificate-authority-data": args.caCertificate } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
        preferences: {},
        users: [{
            name,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "gke-gcloud-auth-plugin",
                    installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
                    provideClusterInfo: true,
                },
            },
        }],
    });
}

/**
 * The whole fleet: one platform component per cluster entry, one Hub per hub entry, and the stack outputs.
 * index.ts calls this with the loaded config; the offline plan calls it under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, FleetConfig, HubSpec } from "./config";
import { monitoringSettings } from "./config/operations";
import { Hub } from "./hub";
import { Monitoring } from "./monitoring";
import { bucketUrls, Platform } from "./platform";

export interface ClusterOutputs {
    readonly provider: string;
    readonly name: pulumi.Output<string>;
    readonly region?: string;
    readonly buckets: pulumi.Output<Record<string, string>>;
    /** Where Grafana is reached and where its admin password lives, when the cluster has monitoring. */
    readonly monitoring?: {
        readonly grafanaUrl: pulumi.Output<string>;
        /** The load balancer grafanaDomain's DNS record points at. */
        readonly grafanaAddress: pulumi.Output<string | undefined>;
        readonly grafanaAdminSecret: string;
    };
}

export interface HubOutputs {
    readonly url: pulumi.Output<string>;
    /** The proxy's load balancer: the target of the domain's DNS record. */
    readonly address: pulumi.Output<string | undefined>;
    readonly namespace: pulumi.Output<string>;
    readonly cluster: string;
    readonly serviceAccountAnnotations: pulumi.Output<Record<string, string>>;
    /** IAM role ARN (AWS) or Google service account email (GCP). */
    readonly identity: pulumi.Output<string | undefined>;
    readonly bucketUrls: pulumi.Output<Record<string, string>>;
}

export interface Fleet {
    readonly platforms: Readonly<Record<string, Platform>>;
    /** Monitoring by cluster key, for the clusters that have it. */
    readonly monitoring: Readonly<Record<string, Monitoring>>;
    readonly hubs: Readonly<Record<string, Hub>>;
    readonly outputs: {
        clusters: Record<string, ClusterOutputs>;
        /**
         * Kubeconfig per cluster, secret as a whole: pulumi/actions masks a step output only when the stack
         * output itself is secret, not when a secret sits inside it.
         */
        kubeconfigs: pulumi.Output<Record<string, string>>;
        hubs: Record<string, HubOutputs>;
    };
}

/** `key` is the cluster's config key (for its secrets), `name` what its resources are named after. */
type PlatformFactory = (key: string, name: string, cluster: ClusterSpec, hubs: Record<string, HubSpec>, config: FleetConfig,
    opts?: pulumi.ComponentResourceOptions) => Platform;

// Platforms are loaded on first use so a fleet on one cloud never loads the others' SDKs.
const PLATFORMS: Record<ClusterSpec["provider"], PlatformFactory> = {
    aws: (_key, name, cluster, hubs, _config, opts) => {
        const { AwsCluster } = require("./aws/cluster") as typeof import("./aws/cluster");
        return new AwsCluster(name, { cluster: cluster as Extract<ClusterSpec, { provider: "aws" }>, hubs }, opts);
    },
    gcp: (_key, name, cluster, hubs, _config, opts) => {
        const { GcpCluster } = require("./gcp/cluster") as typeof import("./gcp/cluster");
        return new GcpCluster(name, { cluster: cluster as Extract<ClusterSpec, { provider: "gcp" }>, hubs }, opts);
    },
    ovh: (_key, name, cluster, hubs, _config, opts) => {
        const { OvhCluster } = require("./ovh/cluster") as typeof import("./ovh/cluster");
        return new OvhCluster(name, { cluster: cluster as Extract<ClusterSpec, { provider: "ovh" }>, hubs }, opts);
    },
    kubernetes: (key, name, cluster, hubs, config, opts) => {
        const { KubernetesCluster } = require("./kubernetes/cluster") as typeof import("./kubernetes/cluster");
        const kubeconfig = config.clusterSecrets[key]?.kubeconfig;
        return new KubernetesCluster(name, {
            cluster: cluster as Extract<ClusterSpec, { provider: "kubernetes" }>, hubs,
            kubeconfig: secretOf(kubeconfig),
        }, opts);
    },
};

/**
 * The name a cluster or hub keeps in the cloud and in Pulumi: its key, or the key it had before a rename.
 * Cloud names (namespace, release, IAM role, bucket, EKS cluster…) come from it, and a cloud name that changes
 * replaces its resource whatever Pulumi aliases say; so a renamed entry keeps its old name everywhere, and its
 * Pulumi identities do not change at all. Only the config key and the stack outputs use the new key.
 */
export function resourceKey(key: string, entry: { readonly renamedFrom?: string }): string {
    return entry.renamedFrom ?? key;
}

function secretOf(value: string | undefined): pulumi.Output<string> | undefined {
    return value === undefined ? undefined : pulumi.secret(value);
}

/** Builds every cluster and hub of a validated fleet. `opts` applies to each top-level component. */
export function deployFleet(config: FleetConfig, opts?: pulumi.ComponentResourceOptions): Fleet {
    const platforms: Record<string, Platform> = {};
    for (const [key, cluster] of Object.entries(config.clusters)) {
        // Platforms see their hubs under the names their resources carry.
        const hubs = Object.fromEntries(Object.entries(config.hubs)
            .filter(([, hub]) => hub.cluster === key).map(([hubKey, hub]) => [resourceKey(hubKey, hub), hub]));
        platforms[key] = PLATFORMS[cluster.provider](key, resourceKey(key, cluster), cluster, hubs, config, opts);
    }
    const monitoring: Record<string, Monitoring> = {};
    for (const [key, cluster] of Object.entries(config.clusters)) {
        const settings = monitoringSettings(cluster.provider, cluster.monitoring);
        if (!settings) continue;
        const name = resourceKey(key, cluster);
        const hubKeys = Object.entries(config.hubs).filter(([, hub]) => hub.cluster === key).map(([hubKey, hub]) => resourceKey(hubKey, hub));
        monitoring[key] = new Monitoring(`${name}-monitoring`, {
            clusterKey: name, settings, kubeProvider: platforms[key].kubeProvider, provisioner: platforms[key].volumeProvisioner, hubKeys,
            grafanaClientSecret: secretOf(config.clusterSecrets[key]?.grafanaClientSecret),
        }, opts);
    }
    const hubs: Record<string, Hub> = {};
    for (const [key, hub] of Object.entries(config.hubs)) {
        const name = resourceKey(key, hub);
        // Hubs are top-level, not children of their cluster, so their URNs don't depend on where they run.
        const cluster = config.clusters[hub.cluster];
        hubs[key] = new Hub(name, {
            hubKey: name, hub, secrets: config.hubSecrets[key], platform: platforms[hub.cluster],
            nodePools: cluster.provider === "kubernetes" ? {} : cluster.nodePools,
            metricsToken: monitoring[hub.cluster]?.hubTokens[name],
        }, opts);
    }
    return {
        platforms, monitoring, hubs,
        outputs: {
            clusters: Object.fromEntries(Object.entries(platforms).map(([key, platform]) => [key, {
                provider: platform.providerName,
                name: platform.clusterName ?? pulumi.output(key),
                region: platform.region,
                buckets: pulumi.output(bucketUrls(platform.buckets)),
                monitoring: monitoring[key] && {
                    grafanaUrl: monitoring[key].grafanaUrl, grafanaAddress: monitoring[key].grafanaAddress,
                    grafanaAdminSecret: monitoring[key].grafanaAdminSecret,
                },
            }])),
            kubeconfigs: pulumi.secret(pulumi.all(Object.fromEntries(
                Object.entries(platforms).map(([key, platform]) => [key, platform.kubeconfig])))),
            hubs: Object.fromEntries(Object.entries(hubs).map(([key, hub]) => [key, {
                url: hub.url, address: hub.address, namespace: hub.namespace, cluster: config.hubs[key].cluster,
                serviceAccountAnnotations: hub.serviceAccountAnnotations, identity: hub.identity, bucketUrls: hub.bucketUrls,
            }])),
        },
    };
}

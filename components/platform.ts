/**
 * The contract between a cluster platform (aws, gcp, ovh, kubernetes) and the cloud-agnostic Hub.
 *
 * A platform component is built once per cluster entry, with the hubs that run on it (it needs them all at
 * once: an S3 bucket policy holds one statement per hub, an OVH user belongs to one group). It exposes what a
 * hub needs and nothing else; `hub.ts` never looks at the provider name.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ClusterSpec, HubSpec, NfsServerHomeSpec, ProviderName } from "./config";
import { HomeNfsDisk } from "./homeNfsServer";
import { PlainObject } from "./util";

/** A CSI provisioner and its parameters: what a StorageClass on the platform's block storage needs. */
export interface VolumeProvisioner {
    readonly provisioner: string;
    readonly parameters: Readonly<Record<string, string>>;
    /** The parameters that put cost tags on the volumes it creates, where the driver can. */
    readonly tagParameters?: (tags: Readonly<Record<string, string>>) => Record<string, string>;
}

/** The Kubernetes service account user servers run as, in each hub's namespace; cloud identities trust it. */
export const USER_SERVICE_ACCOUNT = "user-sa";

/** z2jh's scheduling label (`scheduling.corePods` / `scheduling.userPods`): every platform's pools carry it. */
export const NODE_PURPOSE_LABEL = "hub.jupyter.org/node-purpose";
/** Well-known node label of the zone (kubelet sets it on every node): where a zonal disk's server may run. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";
/** The taint of user pools: only z2jh user pods tolerate it, so hub, proxy and system pods stay on core nodes. */
export const USER_TAINT = { key: "hub.jupyter.org/dedicated", value: "user" } as const;
/** Every pool's nodes carry their config key under this label (profiles and dask workers select pools by it). */
export const NODE_POOL_LABEL = "jupyterhub-fleet/node-pool";
/** The taint of `purpose: dask` pools (2i2c's convention): only dask-gateway's scheduler and worker pods tolerate it. */
export const DASK_WORKER_TAINT = { key: "k8s.dask.org/dedicated", value: "worker" } as const;
/** The taint of GPU pools (the one GKE puts on GPU nodes itself): only pods that request GPUs tolerate it. */
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "present" } as const;

export type CloudMetadataAccess = "block" | "network-policy" | "allow";

/** One of the cluster's buckets. */
export interface BucketRef {
    /** The full bucket name, from the created resource where the platform creates it. */
    readonly name: pulumi.Output<string>;
    /** `s3://name` or `gs://name`. */
    readonly url: pulumi.Output<string>;
}

/**
 * Where a hub's home directories live. `csi` and `nfs` become a static PV + PVC per hub (users get a
 * `subPath` of it); `nfs-server` becomes an `nfs` volume once the hub has started its server; `dynamic` gives
 * each user a volume from a storage class.
 */
export type HomeVolume =
    | {
        readonly kind: "csi";
        /** CSI driver, e.g. efs.csi.aws.com. */
        readonly driver: string;
        /** Driver-specific handle; for EFS `<fs-id>::<access-point-id>` pinned to the hub's directory. */
        readonly volumeHandle: pulumi.Input<string>;
        /** Resources the volume needs to exist before the PV is used (e.g. mount targets). */
        readonly dependsOn?: pulumi.Resource[];
    }
    | {
        readonly kind: "nfs";
        readonly server: pulumi.Input<string>;
        /** Export path mounted by the PV. */
        readonly path: string;
        /**
         * Directory inside `path` that holds this hub's homes (user homes are `<hubDirectory>/<user>`);
         * absent where `path` is the hub's own directory (user homes are `<user>`).
         */
        readonly hubDirectory?: string;
        /**
         * The platform's own spawn hook (in `hubExtraConfig`) creates each new home as its user, so no root
         * init container hands it over (one that root-squashing exports and OpenShift refuse).
         */
        readonly createsUserDirectories?: boolean;
        /**
         * The server maps every client to the users' uid (all_squash), so the directories kubelet creates for
         * new homes already belong to the users.
         */
        readonly squashesToUser?: boolean;
        /** NFS mount options of the PV. */
        readonly mountOptions?: readonly string[];
        readonly dependsOn?: pulumi.Resource[];
    }
    | {
        /**
         * A volume of the hub's own, served by an NFS server in the hub's namespace (homeNfsServer.ts); the
         * Hub starts the server and mounts it like an `nfs` volume.
         */
        readonly kind: "nfs-server";
        readonly disk: HomeNfsDisk;
        readonly sizeGb: number;
        /** The cluster's per-user quota in GiB; the hub's `homeQuotaGb` overrides it. */
        readonly perUserQuotaGb?: number;
        /** Where the server may run: the disk's zone, on core nodes (anywhere on an existing cluster, whose class places the volume). */
        readonly nodeSelector: Readonly<Record<string, string>>;
        /** The disk (and its snapshot policy attachment), which the server waits for. */
        readonly dependsOn?: pulumi.Resource[];
    }
    | {
        readonly kind: "dynamic";
        /** Storage class for user volumes; the cluster default when undefined. */
        readonly storageClass?: pulumi.Input<string>;
        /** Size of each user's volume, e.g. 10Gi. */
        readonly capacity: string;
    };

/** A file the hub process reads, delivered as a Kubernetes Secret in the hub's namespace. */
export interface HubSecretFile {
    /** Key in the Secret and file name under /etc/jupyterhub/platform/. */
    readonly fileName: string;
    /** File content; must be a Pulumi secret. */
    readonly content: pulumi.Output<string>;
}

/**
 * A Secret in the hub's namespace for user pods to reference (`valueFrom.secretKeyRef`, set by a spawn hook);
 * the hub pod does not mount it, so the hub process never holds its values.
 */
export interface UserPodSecret {
    /** Secret name in the hub's namespace. */
    readonly name: string;
    /** Key -> value; each value must be a Pulumi secret. */
    readonly data: Readonly<Record<string, pulumi.Output<string>>>;
}

/**
 * Variables user servers get from a Secret of each user's own, found through an index among the hub's secret
 * files. The platform's spawn hook (in `hubExtraConfig`) gives servers these; other pods that act for a user
 * (dask-gateway's schedulers and workers) read the same index, so they get the same Secret.
 */
export interface UserSecretEnv {
    /** The `hubSecretFiles` entry holding the index: JSON, username -> Secret name in the hub's namespace. */
    readonly indexFile: string;
    /** The index key of the Secret of users the index does not name; when it is absent too, they get none. */
    readonly fallbackKey: string;
    /** Keys of each user's Secret, each becoming the variable of the same name. */
    readonly variables: readonly string[];
}

/** What a hub gets from its platform. */
export interface HubAccess {
    /** Annotations for the hub's `user-sa`, taken from real identity outputs (role ARN, GSA email). */
    readonly serviceAccountAnnotations: Record<string, pulumi.Input<string>>;
    /** The cloud identity users act as (IAM role ARN, Google service account email), for outputs. */
    readonly identity?: pulumi.Output<string>;
    /** Environment variables for user servers (bucket URLs, S3 endpoint, region). */
    readonly env: Record<string, pulumi.Input<string>>;
    /**
     * How user pods are kept from the cloud metadata endpoint: `block` (network policy and the chart's
     * iptables init container), `network-policy` (network policy only, where a root NET_ADMIN init container
     * is refused, as on OpenShift), or `allow` (GKE Workload Identity serves tokens there).
     */
    readonly cloudMetadata: CloudMetadataAccess;
    /** Secret files for the hub process (e.g. the index of OVH users' key Secrets). */
    readonly hubSecretFiles: readonly HubSecretFile[];
    /** Secrets for user pods (e.g. OVH per-user S3 keys), referenced by the spawn hooks of `hubExtraConfig`. */
    readonly userPodSecrets?: readonly UserPodSecret[];
    /** Per-user Secrets the spawn hooks give user servers as variables, for other per-user pods to get too. */
    readonly userSecretEnv?: UserSecretEnv;
    /** Python for `hub.extraConfig`, name -> source; reads the secret files above. */
    readonly hubExtraConfig: Record<string, string>;
    /** Extra volumes every user server mounts (shared NFS such as /scratch). */
    readonly userVolumes: readonly UserVolume[];
    /**
     * NetworkPolicy egress rules user servers need beyond z2jh's defaults (`singleuser.networkPolicy.egress`):
     * a cluster DNS on another port, services at private addresses.
     */
    readonly userEgress?: readonly PlainObject[];
    /** Security context user pods run with (uid/gid), when the platform dictates it (OpenShift SCC). */
    readonly userSecurity?: { readonly uid: number; readonly gid: number; readonly fsGid: number };
    /** Resources the hub's release must wait for (role policies, SCC bindings). */
    readonly dependsOn: pulumi.Resource[];
    /**
     * Keys of the cluster's buckets that the credentials this platform hands the hub's users can reach (the
     * hub's `bucketUrls` output lists these). None when it hands out none.
     */
    readonly reachableBuckets: readonly string[];
}

/** An NFS export mounted into every user server. */
export interface UserVolume {
    readonly name: string;
    readonly server: string;
    readonly path: string;
    readonly mountPath: string;
    readonly readOnly: boolean;
}

/** What every cluster component implements. */
export interface Platform {
    readonly clusterKey: string;
    readonly providerName: ProviderName;
    /** Provider for everything a hub creates in the cluster (with `clusterIdentifier` set). */
    readonly kubeProvider: k8s.Provider;
    /** Kubeconfig for operators (a secret). */
    readonly kubeconfig: pulumi.Output<string>;
    /** The cloud's name for the cluster (EKS / GKE / OVH), for outputs. */
    readonly clusterName?: pulumi.Output<string>;
    /** The cloud region, for outputs. */
    readonly region?: string;
    /** A laptop cluster: `dummy` auth and a NodePort proxy are fine here. */
    readonly isLocal: boolean;
    /** Every node pool was made by the fleet and carries z2jh's `hub.jupyter.org/node-purpose` label. */
    readonly dedicatedNodePools: boolean;
    /** The cluster's buckets by config key. */
    readonly buckets: Readonly<Record<string, BucketRef>>;
    /**
     * The cloud's block storage, for the volumes of cluster services (monitoring) in a retaining class of
     * their own; absent on existing clusters, whose operator names a class.
     */
    readonly volumeProvisioner?: VolumeProvisioner;
    /** Where `hubKey`'s home directories live. */
    homeVolume(hubKey: string): HomeVolume;
    /** Identity, env and hub-side files for `hubKey`. */
    hubAccess(hubKey: string): HubAccess;
}

/** Constructor arguments every platform component takes. */
export interface PlatformArgs<C extends ClusterSpec> {
    /** The cluster's config entry. */
    readonly cluster: C;
    /** The hubs that run on this cluster, by hub key. */
    readonly hubs: Readonly<Record<string, HubSpec>>;
}

/** Env vars pointing users at buckets: `SCRATCH_BUCKET=s3://uw2-scratch/$(JUPYTERHUB_USER)` (+ PANGEO_SCRATCH). */
export function bucketEnvVars(hub: HubSpec, buckets: Readonly<Record<string, BucketRef>>): Record<string, pulumi.Output<string>> {
    const env: Record<string, pulumi.Output<string>> = {};
    for (const [envName, bucketKey] of Object.entries(hub.bucketEnv)) {
        // $(JUPYTERHUB_USER) is expanded by Kubernetes in the user's pod, giving each user a prefix.
        env[envName] = pulumi.interpolate`${buckets[bucketKey].url}/$(JUPYTERHUB_USER)`;
    }
    if (env.SCRATCH_BUCKET && !("PANGEO_SCRATCH" in hub.bucketEnv)) {
        // Pangeo's older name for the same thing; notebooks in the wild still read it.
        env.PANGEO_SCRATCH = env.SCRATCH_BUCKET;
    }
    return env;
}

/** The spec of a hub on this platform; asking a cluster about another cluster's hub is a wiring error. */
export function hubOnCluster(clusterKey: string, hubs: Readonly<Record<string, HubSpec>>, hubKey: string): HubSpec {
    const hub = hubs[hubKey];
    if (!hub) {
        throw new Error(`hub ${hubKey} does not run on cluster ${clusterKey} (its hubs: ${Object.keys(hubs).join(", ") || "none"})`);
    }
    return hub;
}

/** Keys of the hubs that keep home directories: `storage: none` hubs get no per-hub home storage (EFS access point, directory). */
export function hubsWithHomes(hubs: Readonly<Record<string, HubSpec>>): string[] {
    return Object.keys(hubs).filter(hubKey => hubs[hubKey].storage !== "none");
}

/** Bucket keys a hub's cloud identity is granted: what IRSA or Workload Identity lets its users reach. */
export function grantedBuckets(hub: HubSpec): string[] {
    return [...new Set([...(hub.cloudAccess?.bucketAdminAccess ?? []), ...(hub.cloudAccess?.bucketReadonlyAccess ?? [])])].sort();
}

/** Bucket key -> URL, for outputs. */
export function bucketUrls(buckets: Readonly<Record<string, BucketRef>>): Record<string, pulumi.Output<string>> {
    return Object.fromEntries(Object.entries(buckets).map(([key, ref]) => [key, ref.url]));
}

/** The empty access a hub has when its platform grants nothing beyond the cluster. */
export function baseHubAccess(overrides: Partial<HubAccess> = {}): HubAccess {
    return {
        serviceAccountAnnotations: {}, env: {}, cloudMetadata: "block", hubSecretFiles: [], hubExtraConfig: {},
        userVolumes: [], dependsOn: [], reachableBuckets: [], ...overrides,
    };
}

/**
 * The nfs-server home volume of `hubKey` on the disk a cloud platform made for it (`disks` by hub key), for the
 * Hub to serve: the server runs on core nodes in the disk's `zone`, and waits for the disk and `alsoWaitFor`.
 */
export function nfsServerHomeVolume<D extends pulumi.CustomResource>(hubKey: string, disks: Readonly<Record<string, D>>,
    spec: NfsServerHomeSpec, disk: (created: D) => HomeNfsDisk, zone?: string, alsoWaitFor: pulumi.Resource[] = []): HomeVolume {
    const created = disks[hubKey];
    if (!created) {
        throw new Error(`no home disk for hub "${hubKey}": pass the hub to the cluster component (known: ${Object.keys(disks).join(", ") || "none"})`);
    }
    return {
        kind: "nfs-server",
        disk: disk(created),
        sizeGb: spec.sizeGb,
        perUserQuotaGb: spec.perUserQuotaGb,
        nodeSelector: { [NODE_PURPOSE_LABEL]: "core", ...zone === undefined ? {} : { [ZONE_LABEL]: zone } },
        dependsOn: [created, ...alsoWaitFor],
    };
}

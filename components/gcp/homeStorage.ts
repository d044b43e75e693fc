/**
 * Home directories on GCP: one Filestore instance shared by the cluster's hubs (each hub's volume is its own
 * directory of the `homes` share), a retaining storage class for per-user persistent disks, or a disk per hub
 * served by the hub's own NFS server (homeDisks.ts).
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import { HomeStorageSpec } from "../config";
import { HOME_VOLUMES, retainingStorageClass } from "../homeStorageClass";
import { HomeVolume } from "../platform";
import { ProjectApis } from "./apis";
import { HomeDisks } from "./homeDisks";

/** The Filestore share, and so the NFS export path, that holds every hub's homes. */
export const FILESTORE_SHARE = "homes";
export const PD_CSI_DRIVER = "pd.csi.storage.gke.io";

/** REGIONAL and ENTERPRISE instances span the region's zones; the others live in one zone. */
export function filestoreLocation(tier: string, region: string, zone: string): string {
    return tier === "REGIONAL" || tier === "ENTERPRISE" ? region : zone;
}

/** Filestore refuses deletion protection on the BASIC tiers (the instance would not be created). */
export function filestoreSupportsDeletionProtection(tier: string): boolean {
    return !tier.startsWith("BASIC_");
}

/** Where the jobs that create hub directories run; it exists on every cluster and no hub can take it. */
export const HUB_DIRECTORY_JOB_NAMESPACE = "kube-system";
const HUB_DIRECTORY_JOB_IMAGE = "busybox:1.36";
/** Kubernetes copies a Job's name into a label of its pods, and label values stop at 63 characters. */
const MAX_JOB_NAME_LENGTH = 63;

/** The Job that creates a hub's directory: named after the hub, or after a digest of a key too long for that. */
export function hubDirectoryJobName(hubKey: string): string {
    const name = `home-dir-${hubKey}`;
    if (name.length <= MAX_JOB_NAME_LENGTH) return name;
    const digest = crypto.createHash("sha256").update(hubKey).digest("hex").slice(0, 8);
    return `${name.slice(0, MAX_JOB_NAME_LENGTH - digest.length - 1).replace(/-+$/, "")}-${digest}`;
}

/**
 * A Job that makes `/<share>/<hub>` on the NFS server, so the hub's volume can be that directory (an NFS
 * mount of a missing path fails). `mkdir -p` changes nothing where the directory exists, so re-running it
 * is safe, and it never removes anything. The Kubernetes provider waits for a Job to complete before it
 * reports it created (pulumi-kubernetes provider/pkg/await/job.go), so volumes that depend on it find the
 * directory. Root, because the share's root belongs to root (Filestore exports without root squash).
 */
export function hubDirectoryJob(hubKey: string, server: pulumi.Input<string>): k8s.types.input.batch.v1.Job {
    const mountPath = `/${FILESTORE_SHARE}`;
    return {
        metadata: {
            name: hubDirectoryJobName(hubKey),
            namespace: HUB_DIRECTORY_JOB_NAMESPACE,
            labels: { "app.kubernetes.io/managed-by": "jupyterhub-fleet" },
        },
        // No ttlSecondsAfterFinished: a Job that deletes itself would be created again by every refresh.
        spec: {
            backoffLimit: 4,
            template: {
                spec: {
                    restartPolicy: "Never",
                    containers: [{
                        name: "mkdir",
                        image: HUB_DIRECTORY_JOB_IMAGE,
                        command: ["mkdir", "-p", `${mountPath}/${hubKey}`],
                        securityContext: { runAsUser: 0, allowPrivilegeEscalation: false },
                        volumeMounts: [{ name: FILESTORE_SHARE, mountPath }],
                    }],
                    volumes: [{ name: FILESTORE_SHARE, nfs: { server, path: mountPath } }],
                },
            },
        },
    };
}

export interface HomeStorageArgs {
    /** The cluster's config key; names the Filestore instance. */
    readonly clusterKey: string;
    /** The cluster's `homeStorage` entry (`filestore` or `dynamic` on GCP). */
    readonly spec: HomeStorageSpec;
    /** The cluster's region; REGIONAL and ENTERPRISE instances go there. */
    readonly region: string;
    /** The zone the nodes run in; a zonal Filestore instance goes there too. */
    readonly zone: string;
    /** VPC network the nodes use, so the NFS server is reachable from them. */
    readonly network: string;
    /** Provider for the storage class of per-user disks and the jobs that create hub directories. */
    readonly kubeProvider: k8s.Provider;
    /** Hub keys of the cluster; on Filestore each gets its directory `/homes/<hub>`. */
    readonly hubKeys: readonly string[];
    /** The project's enabled APIs; Filestore waits for its own. */
    readonly apis: ProjectApis;
}

/**
 * Never deleted by a config edit: the instance and the storage class are protected, and the storage class
 * retains a user's disk when its claim goes (KubeSpawner deletes a user's PVC with the user).
 */
export class HomeStorage extends pulumi.ComponentResource {
    /** The Filestore instance, for `filestore` home storage. */
    readonly instance?: gcp.filestore.Instance;
    /** The retaining storage class, for `dynamic` home storage without a `storageClass` of its own. */
    readonly storageClass?: k8s.storage.v1.StorageClass;
    /** On Filestore, the jobs that create each hub's directory, by hub key. */
    readonly hubDirectoryJobs: Readonly<Record<string, k8s.batch.v1.Job>> = {};
    private readonly volumeFor: (hubKey: string) => HomeVolume;

    constructor(name: string, args: HomeStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:gcp:HomeStorage", name, {}, opts);
        const spec = args.spec;

        if (spec.type === "filestore") {
            const protection = filestoreSupportsDeletionProtection(spec.tier);
            const instance = new gcp.filestore.Instance(`${name}-filestore`, {
                name: `${args.clusterKey}-homes`,
                description: `JupyterHub home directories of cluster ${args.clusterKey}`,
                tier: spec.tier,
                location: filestoreLocation(spec.tier, args.region, args.zone),
                fileShares: { name: FILESTORE_SHARE, capacityGb: spec.capacityGb },
                networks: [{ network: args.network, modes: ["MODE_IPV4"] }],
                ...(protection ? { deletionProtectionEnabled: true, deletionProtectionReason: "JupyterHub user home directories" } : {}),
            }, { parent: this, protect: true, dependsOn: args.apis.of("file", "compute") });
            const server = instance.networks.apply(networks => networks[0].ipAddresses![0]);
            this.instance = instance;
            // Each hub's volume is its own directory, so nothing mounted from it (a shared directory, an
            // admin's view of all homes) reaches another hub. Users' homes stay where they were,
            // /homes/<hub>/<user>, now as <user> within the hub's volume.
            const jobs = Object.fromEntries(args.hubKeys.map(hubKey => [hubKey, new k8s.batch.v1.Job(`${name}-dir-${hubKey}`,
                hubDirectoryJob(hubKey, server), { parent: this, provider: args.kubeProvider, dependsOn: [instance] })]));
            this.hubDirectoryJobs = jobs;
            this.volumeFor = hubKey => ({ kind: "nfs", server, path: `/${FILESTORE_SHARE}/${hubKey}`, dependsOn: [instance, jobs[hubKey]] });
        } else if (spec.type === "dynamic") {
            const capacity = spec.size;
            if (spec.storageClass) {
                const storageClass = retainingStorageClass(`${name}-storage-class`, spec.storageClass, HOME_VOLUMES, { parent: this, provider: args.kubeProvider });
                this.volumeFor = () => ({ kind: "dynamic", storageClass, capacity });
            } else {
                const storageClass = new k8s.storage.v1.StorageClass(`${name}-storage-class`, {
                    metadata: { name: "user-homes-retain" },
                    provisioner: PD_CSI_DRIVER,
                    parameters: { type: "pd-balanced" },
                    reclaimPolicy: "Retain",
                    allowVolumeExpansion: true,
                    // A disk is zonal: bind it where the user's pod is scheduled, not where the claim is made.
                    volumeBindingMode: "WaitForFirstConsumer",
                }, { parent: this, provider: args.kubeProvider, protect: true });
                const className = storageClass.metadata.name;
                this.storageClass = storageClass;
                this.volumeFor = () => ({ kind: "dynamic", storageClass: className, capacity });
            }
        } else if (spec.type === "nfs-server") {
            const disks = new HomeDisks(`${name}-disks`, {
                clusterKey: args.clusterKey, spec, region: args.region, zone: args.zone, hubKeys: args.hubKeys,
                dependsOn: args.apis.of("compute"),
            }, { parent: this });
            this.volumeFor = hubKey => disks.homeVolume(hubKey);
        } else {
            throw new Error(`clusters.${args.clusterKey}.homeStorage: type ${spec.type} is not available on GCP (use filestore, dynamic or nfs-server)`);
        }
        this.registerOutputs({ filestoreName: this.instance?.name, storageClass: this.storageClass?.metadata.name });
    }

    /** Where `hubKey`'s home directories live. */
    homeVolume(hubKey: string): HomeVolume {
        return this.volumeFor(hubKey);
    }
}

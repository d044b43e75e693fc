/**
 * Home directories on GCP: one Filestore instance shared by the cluster's hubs (each hub gets a directory
 * in the `homes` share), or a retaining storage class for per-user persistent disks.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import { HomeStorageSpec } from "../config";
import { retainingStorageClass } from "../homeStorageClass";
import { HomeVolume } from "../platform";

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
    /** Provider for the storage class of per-user disks. */
    readonly kubeProvider: k8s.Provider;
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
            }, { parent: this, protect: true });
            const server = instance.networks.apply(networks => networks[0].ipAddresses![0]);
            this.instance = instance;
            this.volumeFor = hubKey => ({ kind: "nfs", server, path: `/${FILESTORE_SHARE}`, hubDirectory: hubKey, dependsOn: [instance] });
        } else if (spec.type === "dynamic") {
            const capacity = spec.size;
            if (spec.storageClass) {
                const storageClass = retainingStorageClass(`${name}-storage-class`, spec.storageClass, { parent: this, provider: args.kubeProvider });
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
        } else {
            throw new Error(`clusters.${args.clusterKey}.homeStorage: type ${spec.type} is not available on GCP (use filestore or dynamic)`);
        }
        this.registerOutputs({ filestoreName: this.instance?.name, storageClass: this.storageClass?.metadata.name });
    }

    /** Where `hubKey`'s home directories live. */
    homeVolume(hubKey: string): HomeVolume {
        return this.volumeFor(hubKey);
    }
}

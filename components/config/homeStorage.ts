/** Home storage: the types each provider can serve and their fields. */
import { z } from "zod";
import { PathPart, Problems } from "./errors";
import { HELM_RELEASE_NAME_MAX, ProviderName } from "./names";

export const homeStorageSchemas = {
    efs: z.strictObject({ type: z.literal("efs") }),
    filestore: z.strictObject({
        type: z.literal("filestore"),
        tier: z.enum(["BASIC_HDD", "BASIC_SSD", "ZONAL", "REGIONAL", "ENTERPRISE"]).default("BASIC_HDD"),
        capacityGb: z.number().int().min(1).default(1024),
    }),
    dynamic: z.strictObject({
        type: z.literal("dynamic"),
        /** Size of each user's volume. */
        size: z.string().regex(/^\d+(Mi|Gi|Ti)$/, { error: "must be a Kubernetes quantity such as 10Gi" }).default("10Gi"),
        /** Storage class for user volumes; the cluster default (or the platform's retaining class) otherwise. */
        storageClass: z.string().min(1).optional(),
    }),
    nfs: z.strictObject({
        type: z.literal("nfs"),
        server: z.string().min(1),
        path: z.string().regex(/^\//, { error: "must be an absolute export path such as /export/homes" }),
    }),
    /**
     * One block volume per hub (EBS gp3, PD balanced, Cinder; on an existing cluster a claim from `storageClass`),
     * served by an NFS server in the hub's namespace (2i2c's jupyterhub-home-nfs chart), XFS project quotas per
     * user. See docs/homes.md.
     */
    "nfs-server": z.strictObject({
        type: z.literal("nfs-server"),
        /** Each hub's volume, in GB. It can grow in place; it never shrinks. */
        sizeGb: z.number().int().min(10).max(16384),
        /** Every user's home is capped at this many GiB (hubs.<key>.homeQuotaGb overrides it per hub). */
        perUserQuotaGb: z.number().positive().optional(),
        /** A daily snapshot of each hub's volume, kept `keepDays` (AWS Data Lifecycle Manager, a GCP snapshot schedule). */
        snapshots: z.strictObject({ keepDays: z.number().int().min(1).max(365) }).optional(),
        /**
         * Existing clusters only (required there): the class each hub's volume is claimed from. It must retain
         * (the deployment reads it); with quotas it must make XFS volumes mounted with `pquota`; growing `sizeGb`
         * needs its `allowVolumeExpansion`.
         */
        storageClass: z.string().min(1).optional(),
    }),
};
export type HomeStorageSpec =
    | z.infer<(typeof homeStorageSchemas)["efs"]>
    | z.infer<(typeof homeStorageSchemas)["filestore"]>
    | z.infer<(typeof homeStorageSchemas)["dynamic"]>
    | z.infer<(typeof homeStorageSchemas)["nfs"]>
    | NfsServerHomeSpec;
export type NfsServerHomeSpec = z.infer<(typeof homeStorageSchemas)["nfs-server"]>;
export type HomeStorageType = keyof typeof homeStorageSchemas;

/** Which home storage each provider can serve, the first being the default. */
export const HOME_STORAGE_TYPES: Record<ProviderName, readonly HomeStorageType[]> = {
    aws: ["efs", "nfs-server"],
    gcp: ["dynamic", "filestore", "nfs-server"],
    ovh: ["dynamic", "nfs-server"],
    kubernetes: ["dynamic", "nfs", "nfs-server"],
};

/**
 * Where `snapshots` has a scheduler of the cloud's own: AWS Data Lifecycle Manager, GCP snapshot schedule
 * policies. OVH schedules backups of instances only (`ovh.cloudproject.WorkflowBackup` takes an `instanceId`),
 * and an existing cluster's storage is the site's, so their volumes get the CSI snapshot CronJob of
 * docs/homes.md instead.
 */
export const SNAPSHOT_PROVIDERS: readonly ProviderName[] = ["aws", "gcp"];

/** The hub's NFS server release is `<hub key><suffix>` (homeNfsServer.ts). */
export const HOME_NFS_RELEASE_SUFFIX = "-home-nfs";

/** Where z2jh mounts a user's home (singleuser.storage.homeMountPath's default). */
export const HOME_MOUNT_PATH = "/home/jovyan";

/** Filestore's smallest instance per tier, in GB. */
export const FILESTORE_MIN_CAPACITY_GB: Record<string, number> = {
    BASIC_HDD: 1024, BASIC_SSD: 2560, ZONAL: 1024, REGIONAL: 1024, ENTERPRISE: 1024,
};

/** A parsed cluster spec: `homeStorage` parsed per provider and defaulted. */
export type WithHome<T> = Omit<T, "homeStorage"> & { homeStorage: HomeStorageSpec };

/** The cluster's home storage on its own: sizes, quotas and snapshots that cannot work. */
export function checkHomeStorage(cluster: { readonly provider: ProviderName; readonly homeStorage: HomeStorageSpec },
    path: readonly PathPart[], problems: Problems): void {
    const { provider, homeStorage: home } = cluster;
    if (home.type !== "nfs-server") return;
    const homePath = [...path, "homeStorage"];
    if (home.perUserQuotaGb !== undefined && home.perUserQuotaGb > home.sizeGb) {
        problems.add([...homePath, "perUserQuotaGb"], `${home.perUserQuotaGb} GB per user is more than the whole volume (sizeGb ${home.sizeGb})`,
            `lower perUserQuotaGb to at most ${home.sizeGb}, or raise sizeGb`);
    }
    if (home.snapshots && !SNAPSHOT_PROVIDERS.includes(provider)) {
        problems.add([...homePath, "snapshots"], `${provider} clusters have no snapshot schedule for volumes`,
            `remove it and schedule CSI VolumeSnapshots as docs/homes.md ("${CSI_SNAPSHOTS_SECTION}") shows`);
    }
    if (home.storageClass !== undefined && provider !== "kubernetes") {
        problems.add([...homePath, "storageClass"], `the fleet makes each hub's volume itself on ${provider} (${NFS_SERVER_VOLUMES[provider]})`,
            "remove it (storageClass names the class of existing clusters' volumes)");
    }
}

/** The section of docs/homes.md with the CSI snapshot CronJob. */
export const CSI_SNAPSHOTS_SECTION = "nfs-server on OVH and existing clusters (CSI snapshots)";

/** The volume the fleet makes for each hub's nfs-server homes, where it makes one. */
const NFS_SERVER_VOLUMES: Record<Exclude<ProviderName, "kubernetes">, string> = {
    aws: "an EBS gp3 volume", gcp: "a balanced persistent disk", ovh: "a Cinder volume",
};

/** A hub's home fields against its cluster's home storage: quota overrides and shared directories. */
export function checkHubHomes(hubKey: string, hub: HubHomeFields, clusterKey: string, home: HomeStorageSpec | undefined,
    path: readonly PathPart[], problems: Problems): void {
    // A cluster whose own entry has problems has no parsed home storage; those problems are reported there.
    if (!home) return;
    const noHomes = hub.storage === "none";
    // homeNfsServer.ts names the server's release `<hub>-home-nfs`, and helm release names stop at 53 characters.
    if (home.type === "nfs-server" && !noHomes && `${hubKey}${HOME_NFS_RELEASE_SUFFIX}`.length > HELM_RELEASE_NAME_MAX) {
        problems.add(path, `the hub's NFS server release "${hubKey}${HOME_NFS_RELEASE_SUFFIX}" would exceed helm's ${HELM_RELEASE_NAME_MAX} characters`,
            `shorten the hub key to at most ${HELM_RELEASE_NAME_MAX - HOME_NFS_RELEASE_SUFFIX.length} characters`);
    }
    if (hub.homeQuotaGb !== undefined) {
        if (home.type !== "nfs-server") {
            problems.add([...path, "homeQuotaGb"], `clusters.${clusterKey}.homeStorage is ${home.type}, which has no per-user quotas`,
                "remove it, or use homeStorage type nfs-server (docs/homes.md)");
        } else if (hub.homeQuotaGb > home.sizeGb) {
            problems.add([...path, "homeQuotaGb"], `${hub.homeQuotaGb} GB per user is more than the hub's volume (sizeGb ${home.sizeGb})`,
                `lower it to at most ${home.sizeGb}`);
        }
    }
    const shared = hub.sharedDirectory;
    if (shared) {
        const sharedPath = [...path, "sharedDirectory"];
        if (noHomes) {
            problems.add(sharedPath, "the hub keeps no home storage (storage: none), where the shared directory would live", "remove it");
        } else if (home.type === "dynamic") {
            problems.add(sharedPath, `clusters.${clusterKey}.homeStorage is dynamic (one volume per user), which has no directory all users can mount`,
                "remove it, or use a shared home storage type (efs, filestore, nfs, nfs-server)");
        }
        const mountPath = shared.mountPath.replace(/\/+$/, "");
        if (mountPath === HOME_MOUNT_PATH || mountPath.startsWith(`${HOME_MOUNT_PATH}/`)) {
            problems.add([...sharedPath, "mountPath"], `${shared.mountPath} is inside the user's home (${HOME_MOUNT_PATH}), where it would hide or shadow their files`,
                "mount it outside the home, e.g. /srv/shared (users can link it: ln -s /srv/shared ~/shared)");
        }
    }
    if (hub.adminHomeAccess) {
        if (noHomes) {
            problems.add([...path, "adminHomeAccess"], "the hub keeps no home storage (storage: none)", "remove it");
        } else if (home.type === "dynamic") {
            problems.add([...path, "adminHomeAccess"], `clusters.${clusterKey}.homeStorage is dynamic: each home is its own volume, which one server cannot mount all of`,
                "remove it, or use a shared home storage type (efs, filestore, nfs, nfs-server)");
        }
    }
}

/** The hub fields checkHubHomes reads. */
export interface HubHomeFields {
    readonly storage: "home" | "none";
    readonly homeQuotaGb?: number;
    readonly sharedDirectory?: { readonly mountPath: string; readonly writableBy: "admins" | "everyone" };
    readonly adminHomeAccess?: boolean;
}

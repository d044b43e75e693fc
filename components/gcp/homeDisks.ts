/**
 * nfs-server homes on GCP: one balanced persistent disk per hub in the cluster's zone (where its nodes, and so
 * the hub's NFS server, run), encrypted at rest by Compute Engine as every disk is, and a snapshot schedule
 * attached to each when `snapshots` is set.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { NfsServerHomeSpec } from "../config";
import { HomeVolume, nfsServerHomeVolume } from "../platform";
import { fleetTags } from "../tags";

/** Snapshots start at this UTC time (a daily schedule's `startTime`, on the hour). */
const SNAPSHOT_TIME_UTC = "03:00";

export interface HomeDisksArgs {
    readonly clusterKey: string;
    readonly spec: NfsServerHomeSpec;
    readonly region: string;
    /** The cluster's node zone. */
    readonly zone: string;
    readonly hubKeys: readonly string[];
    /** The Compute Engine API, enabled first. */
    readonly dependsOn: pulumi.Resource[];
}

/**
 * The schedule's name carries keepDays: a resource policy cannot be changed in place, and a disk takes one
 * snapshot schedule, so a new keepDays makes a new policy that the attachments move to (deleted before
 * replaced) before the old policy goes.
 */
export function snapshotPolicyName(clusterKey: string, keepDays: number): string {
    return `${clusterKey}-homes-daily-${keepDays}d`;
}

/** The daily snapshot schedule keeping `keepDays` days. Pure. */
export function snapshotSchedulePolicy(clusterKey: string, region: string, keepDays: number): gcp.types.input.compute.ResourcePolicySnapshotSchedulePolicy {
    return {
        schedule: { dailySchedule: { daysInCycle: 1, startTime: SNAPSHOT_TIME_UTC } },
        // A deleted disk keeps its snapshots: they are how its homes come back.
        retentionPolicy: { maxRetentionDays: keepDays, onSourceDiskDelete: "KEEP_AUTO_SNAPSHOTS" },
        snapshotProperties: { labels: fleetTags(clusterKey), storageLocations: region },
    };
}

export class HomeDisks extends pulumi.ComponentResource {
    readonly disks: Readonly<Record<string, gcp.compute.Disk>>;
    readonly snapshotPolicy?: gcp.compute.ResourcePolicy;
    private readonly attachments: Readonly<Record<string, gcp.compute.DiskResourcePolicyAttachment>>;
    private readonly spec: NfsServerHomeSpec;
    private readonly zone: string;

    constructor(name: string, args: HomeDisksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:gcp:HomeDisks", name, {}, opts);
        this.spec = args.spec;
        this.zone = args.zone;
        this.disks = Object.fromEntries(args.hubKeys.map(hubKey => [hubKey, new gcp.compute.Disk(`${name}-${hubKey}`, {
            name: `${args.clusterKey}-${hubKey}-homes`,
            description: `JupyterHub home directories of hub ${hubKey} on cluster ${args.clusterKey}`,
            zone: args.zone,
            type: "pd-balanced",
            // Growing resizes the disk in place; a smaller size would make a new disk (protect refuses that).
            size: args.spec.sizeGb,
            labels: fleetTags(args.clusterKey, hubKey),
        }, { parent: this, protect: true, dependsOn: args.dependsOn })]));

        const keepDays = args.spec.snapshots?.keepDays;
        const policy = keepDays === undefined ? undefined : new gcp.compute.ResourcePolicy(`${name}-snapshots`, {
            name: snapshotPolicyName(args.clusterKey, keepDays),
            region: args.region,
            description: `Daily snapshots of the ${args.clusterKey} home disks`,
            snapshotSchedulePolicy: snapshotSchedulePolicy(args.clusterKey, args.region, keepDays),
        }, { parent: this, dependsOn: args.dependsOn });
        this.snapshotPolicy = policy;
        this.attachments = policy ? Object.fromEntries(Object.entries(this.disks).map(([hubKey, disk]) => [hubKey,
            new gcp.compute.DiskResourcePolicyAttachment(`${name}-${hubKey}-snapshots`, {
                name: policy.name, disk: disk.name, zone: args.zone,
            }, { parent: this, deleteBeforeReplace: true })])) : {};
        this.registerOutputs({ diskIds: Object.fromEntries(Object.entries(this.disks).map(([hubKey, disk]) => [hubKey, disk.id])) });
    }

    homeVolume(hubKey: string): HomeVolume {
        // projects/<project>/zones/<zone>/disks/<name>, the handle pd.csi.storage.gke.io takes.
        return nfsServerHomeVolume(hubKey, this.disks, this.spec, disk => ({ cloud: "gke", volumeId: disk.id }), this.zone,
            this.attachments[hubKey] ? [this.attachments[hubKey]] : []);
    }
}

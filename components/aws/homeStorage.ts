/**
 * Home directories on EFS: one encrypted, backed-up file system per cluster, reachable over NFS only from the
 * cluster's nodes, and one access point per hub that pins the hub to its own directory.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { HomeVolume } from "../platform";
import { fleetTags } from "../tags";
import { PrivateSubnet } from "./network";

/** The uid/gid z2jh user containers run as (jovyan). */
const USER_UID = 1000;
const USER_GID = 1000;
const NFS_PORT = 2049;
export const EFS_CSI_DRIVER = "efs.csi.aws.com";

export interface HomeStorageArgs {
    /** The cluster key, for tags. */
    readonly clusterName: string;
    readonly vpcId: pulumi.Input<string>;
    /** A mount target goes in each: nodes reach EFS in their own zone. */
    readonly subnets: readonly PrivateSubnet[];
    /** The EKS cluster security group, which managed nodes carry: the only source admitted to NFS. */
    readonly nodeSecurityGroupId: pulumi.Input<string>;
    /** Hub keys; each gets an access point rooted at `/homes/<hub>`. */
    readonly hubKeys: readonly string[];
}

export class HomeStorage extends pulumi.ComponentResource {
    readonly fileSystemId: pulumi.Output<string>;
    /** Access point id per hub key. */
    readonly accessPointIds: Readonly<Record<string, pulumi.Output<string>>>;
    private readonly fileSystem: aws.efs.FileSystem;
    private readonly accessPoints: Readonly<Record<string, aws.efs.AccessPoint>>;
    private readonly mountTargets: aws.efs.MountTarget[];

    constructor(name: string, args: HomeStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:aws:HomeStorage", name, {}, opts);
        const childOpts = { parent: this };

        this.fileSystem = new aws.efs.FileSystem(`${name}-fs`, {
            encrypted: true,
            // Bursting (the default) gives 50 KiB/s per GiB stored once burst credits run out (AWS knowledge center,
            // "efs-choosing-correct-throughput-mode"): 1 MiB/s for 20 GiB of homes, reached by one class running
            // `pip install` together. Elastic follows the load and bills what is transferred.
            throughputMode: "elastic",
            // Each policy goes in its own block: the EFS API takes one transition per entry.
            lifecyclePolicies: [{ transitionToIa: "AFTER_30_DAYS" }, { transitionToPrimaryStorageClass: "AFTER_1_ACCESS" }],
            tags: { Name: `${args.clusterName}-homes` },
        }, { parent: this, protect: true });

        new aws.efs.BackupPolicy(`${name}-backup`, {
            fileSystemId: this.fileSystem.id,
            backupPolicy: { status: "ENABLED" },
        }, childOpts);

        const securityGroup = new aws.ec2.SecurityGroup(`${name}-nfs`, {
            vpcId: args.vpcId,
            description: `NFS to the ${args.clusterName} home directories from the cluster's nodes`,
            tags: { Name: `${args.clusterName}-efs` },
        }, childOpts);
        new aws.vpc.SecurityGroupIngressRule(`${name}-nfs-from-nodes`, {
            securityGroupId: securityGroup.id,
            referencedSecurityGroupId: args.nodeSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: NFS_PORT,
            toPort: NFS_PORT,
            description: "NFS from EKS nodes",
        }, childOpts);

        this.mountTargets = args.subnets.map(subnet => new aws.efs.MountTarget(`${name}-mount-${subnet.key}`, {
            fileSystemId: this.fileSystem.id,
            subnetId: subnet.id,
            securityGroups: [securityGroup.id],
        }, childOpts));

        this.accessPoints = Object.fromEntries(args.hubKeys.map(hubKey => [hubKey, new aws.efs.AccessPoint(`${name}-${hubKey}`, {
            fileSystemId: this.fileSystem.id,
            rootDirectory: {
                path: `/homes/${hubKey}`,
                creationInfo: { ownerUid: USER_UID, ownerGid: USER_GID, permissions: "0755" },
            },
            // Every NFS operation runs as the user, so the directories kubelet creates for subPaths are theirs.
            posixUser: { uid: USER_UID, gid: USER_GID },
            tags: { Name: `${args.clusterName}-${hubKey}-homes`, ...fleetTags(args.clusterName, hubKey) },
        }, { parent: this, protect: true })]));

        this.fileSystemId = this.fileSystem.id;
        this.accessPointIds = Object.fromEntries(Object.entries(this.accessPoints).map(([hubKey, ap]) => [hubKey, ap.id]));
        this.registerOutputs({ fileSystemId: this.fileSystemId, accessPointIds: this.accessPointIds });
    }

    /** The hub's home volume: its access point, usable once the mount targets exist. */
    homeVolume(hubKey: string): HomeVolume {
        const accessPoint = this.accessPoints[hubKey];
        if (!accessPoint) {
            throw new Error(`no EFS access point for hub "${hubKey}": pass the hub to the cluster component (known: ${Object.keys(this.accessPoints).join(", ") || "none"})`);
        }
        return {
            kind: "csi",
            driver: EFS_CSI_DRIVER,
            volumeHandle: pulumi.interpolate`${this.fileSystem.id}::${accessPoint.id}`,
            dependsOn: [...this.mountTargets],
        };
    }
}

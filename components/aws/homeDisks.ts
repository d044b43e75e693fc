/**
 * nfs-server homes on AWS: one encrypted gp3 EBS volume per hub, in the core pool's zone (where the hub's NFS
 * server runs: an EBS volume attaches in its own zone only), and a Data Lifecycle Manager policy that
 * snapshots every such volume of the cluster daily when `snapshots` is set.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { NfsServerHomeSpec, NodePoolSpec, nodePoolPurpose } from "../config";
import { HomeVolume, nfsServerHomeVolume } from "../platform";
import { fleetTags } from "../tags";
import { poolSubnetKeys, SubnetPlacement } from "./zones";

/** The tag DLM selects volumes by: the cluster key, so one cluster's policy never snapshots another's volumes. */
export const HOME_SNAPSHOT_TAG = "jupyterhub-fleet-home-snapshots";
/** DLM's managed policy for EBS snapshot policies (AWS DLM user guide, "AWS managed policies"). */
const DLM_SERVICE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole";
/** Snapshots start at this UTC time; DLM begins within the hour after it. */
const SNAPSHOT_TIME_UTC = "03:00";

/**
 * The zone of the core pool (the first subnet it uses), where the hub's NFS server runs. A subnet of an
 * existing VPC has no zone the program knows unless the pool names it.
 */
export function coreZone(clusterKey: string, nodePools: Readonly<Record<string, NodePoolSpec>>, subnets: readonly SubnetPlacement[]): string {
    const core = Object.entries(nodePools).find(([poolKey, pool]) => nodePoolPurpose(poolKey, pool) === "core");
    if (!core) throw new Error(`clusters.${clusterKey}.nodePools: no core pool for the home NFS servers to run on`);
    const [poolKey, pool] = core;
    const subnet = subnets.find(s => s.key === poolSubnetKeys(poolKey, pool, subnets)[0]);
    if (!subnet?.zone) {
        throw new Error(`clusters.${clusterKey}.nodePools.${poolKey}.zones: nfs-server homes need the core pool's zone, ` +
            "which an existing VPC's subnets do not tell: name it, e.g. zones: [us-west-2a]");
    }
    return subnet.zone;
}

export interface HomeDisksArgs {
    readonly clusterKey: string;
    readonly spec: NfsServerHomeSpec;
    /** The core pool's zone. */
    readonly zone: string;
    /** Hubs that keep homes; each gets its volume. */
    readonly hubKeys: readonly string[];
}

/** The DLM schedule of `keepDays` daily snapshots. Pure. */
export function dailySnapshotSchedule(keepDays: number): aws.types.input.dlm.LifecyclePolicyPolicyDetailsSchedule {
    return {
        name: `daily, kept ${keepDays} days`,
        createRule: { interval: 24, intervalUnit: "HOURS", times: SNAPSHOT_TIME_UTC },
        // Age-based retention: a snapshot goes keepDays after it was taken, however many were missed.
        retainRule: { interval: keepDays, intervalUnit: "DAYS" },
        // The volume's cost-attribution tags follow it to its snapshots.
        copyTags: true,
    };
}

export class HomeDisks extends pulumi.ComponentResource {
    readonly volumes: Readonly<Record<string, aws.ebs.Volume>>;
    readonly snapshotPolicy?: aws.dlm.LifecyclePolicy;
    private readonly spec: NfsServerHomeSpec;
    private readonly zone: string;

    constructor(name: string, args: HomeDisksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:aws:HomeDisks", name, {}, opts);
        this.spec = args.spec;
        this.zone = args.zone;
        const snapshotTag: Record<string, string> = args.spec.snapshots ? { [HOME_SNAPSHOT_TAG]: args.clusterKey } : {};
        this.volumes = Object.fromEntries(args.hubKeys.map(hubKey => [hubKey, new aws.ebs.Volume(`${name}-${hubKey}`, {
            availabilityZone: args.zone,
            type: "gp3",
            // Growing is an in-place ModifyVolume; EBS refuses to shrink a volume.
            size: args.spec.sizeGb,
            encrypted: true,
            tags: { ...fleetTags(args.clusterKey, hubKey), ...snapshotTag, Name: `${args.clusterKey}-${hubKey}-homes` },
        }, { parent: this, protect: true })]));

        if (args.spec.snapshots) {
            const role = new aws.iam.Role(`${name}-snapshots`, {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags: fleetTags(args.clusterKey),
            }, { parent: this });
            const attachment = new aws.iam.RolePolicyAttachment(`${name}-snapshots`, { role: role.name, policyArn: DLM_SERVICE_POLICY }, { parent: this });
            this.snapshotPolicy = new aws.dlm.LifecyclePolicy(`${name}-snapshots`, {
                description: `Daily snapshots of the ${args.clusterKey} home volumes`,
                executionRoleArn: role.arn,
                state: "ENABLED",
                policyDetails: {
                    resourceTypes: ["VOLUME"],
                    targetTags: { [HOME_SNAPSHOT_TAG]: args.clusterKey },
                    schedules: [dailySnapshotSchedule(args.spec.snapshots.keepDays)],
                },
                tags: fleetTags(args.clusterKey),
            }, { parent: this, dependsOn: [attachment] });
        }
        this.registerOutputs({ volumeIds: Object.fromEntries(Object.entries(this.volumes).map(([hubKey, volume]) => [hubKey, volume.id])) });
    }

    homeVolume(hubKey: string): HomeVolume {
        return nfsServerHomeVolume(hubKey, this.volumes, this.spec, volume => ({ cloud: "eks", volumeId: volume.id }), this.zone);
    }
}

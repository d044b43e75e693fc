/**
 * nfs-server homes on OVHcloud: one encrypted Cinder block volume per hub (`ovh.CloudStorageBlockVolume`, which
 * pulumi-ovh 2.19 prefers over `cloudproject.Volume`), in the cluster's region, served by the hub's NFS server
 * through the Cinder CSI driver MKS runs. OVH schedules backups of instances only
 * (`cloudproject.WorkflowBackup` takes an `instanceId`), so the config check refuses `snapshots` here and
 * docs/homes.md gives the CSI snapshot CronJob instead.
 */
import * as pulumi from "@pulumi/pulumi";
import * as ovh from "@ovhcloud/pulumi-ovh";
import { NfsServerHomeSpec } from "../config";
import { HomeVolume, nfsServerHomeVolume } from "../platform";

export interface HomeDisksArgs {
    readonly clusterKey: string;
    readonly serviceName: string;
    readonly region: string;
    readonly spec: NfsServerHomeSpec;
    readonly hubKeys: readonly string[];
}

export class HomeDisks extends pulumi.ComponentResource {
    readonly volumes: Readonly<Record<string, ovh.CloudStorageBlockVolume>>;
    private readonly spec: NfsServerHomeSpec;

    constructor(name: string, args: HomeDisksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:ovh:HomeDisks", name, {}, opts);
        this.spec = args.spec;
        this.volumes = Object.fromEntries(args.hubKeys.map(hubKey => [hubKey, new ovh.CloudStorageBlockVolume(`${name}-${hubKey}`, {
            serviceName: args.serviceName,
            region: args.region,
            name: `${args.clusterKey}-${hubKey}-homes`,
            // Growing extends the volume in place (the resource's size is updatable); Cinder cannot shrink one.
            size: args.spec.sizeGb,
            volumeType: "CLASSIC",
            // LUKS encryption at rest with an OVH-managed key.
            encryption: { enabled: true },
        }, { parent: this, protect: true })]));
        this.registerOutputs({ volumeIds: Object.fromEntries(Object.entries(this.volumes).map(([hubKey, volume]) => [hubKey, volume.id])) });
    }

    homeVolume(hubKey: string): HomeVolume {
        return nfsServerHomeVolume(hubKey, this.volumes, this.spec, volume => ({ cloud: "openstack", volumeId: volume.id }));
    }
}

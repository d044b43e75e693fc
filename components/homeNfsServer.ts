/**
 * One hub's NFS server for homes: 2i2c's jupyterhub-home-nfs chart (nfs-ganesha exporting an XFS volume, and
 * a quota enforcer that gives every top-level directory an XFS project quota), in the hub's namespace.
 *
 * The chart takes a pre-existing disk (values `eks` / `gke` / `openstack` `.volumeId`: its own PV, CSI, fsType
 * xfs, mount option `pquota`, reclaim Retain, and a claim bound to it by name;
 * helm/jupyterhub-home-nfs/templates/persistent-volume.yaml and persistent-volume-claim.yaml at
 * 2i2c-org/jupyterhub-home-nfs 1.2.0), so the disk stays a protected cloud resource of the platform, which
 * `pulumi up` never deletes or replaces, and the chart only serves it. Its PV and claim may go with the release;
 * the disk stays (reclaim Retain), and a new release binds it again.
 * Its `auto-xfs-resizer` container runs `xfs_growfs` every five minutes, so a disk grown by a config edit
 * becomes usable space without a restart.
 *
 * On an existing cluster there is no cloud disk to name, only the site's storage class, and chart 1.2.0 cannot
 * use one: its claim is rendered unconditionally with `storageClassName: ""` (templates/persistent-volume-claim.yaml),
 * which binds only to a PV made by hand, and its Deployment mounts that claim by the same name
 * (templates/deployment.yaml `claimName: {{ include "jupyterhub-home-nfs.home-nfs.fullname" . }}`); the values
 * offer no other claim (its `persistentVolume.storageClass` is read by no 1.2.0 template). So the fleet makes the
 * claim itself, protected, under the name the Deployment mounts, and the release's post-renderer
 * (homeNfsPostrender.js) drops the chart's own claim, which would collide with it. Helm then never owns the
 * claim: neither an uninstall nor a failed install's cleanup can delete it.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { HOME_NFS_RELEASE_SUFFIX } from "./config/homeStorage";
import { SHARED_DIRECTORY_NAME } from "./hooks/sharedDirectories";
import { PlainObject } from "./util";
import { DEFAULT_USER_GID, DEFAULT_USER_UID } from "./z2jhValues";

/** Published as an OCI artifact only (the repository's .github/workflows/build-publish-docker-helm.yaml: `helm push … oci://ghcr.io/2i2c-org/jupyterhub-home-nfs`). */
export const HOME_NFS_CHART = "oci://ghcr.io/2i2c-org/jupyterhub-home-nfs/jupyterhub-home-nfs";
export const HOME_NFS_CHART_VERSION = "1.2.0";
/** The chart names its Deployment, Service, PVC `<fullnameOverride>home-nfs`; with "" they are `home-nfs` in the hub's namespace. */
export const HOME_NFS_SERVICE = "home-nfs";
/** Helm release names are unique per namespace, and the hub's z2jh release already takes the hub key. */
export function homeNfsReleaseName(hubKey: string): string {
    return `${hubKey}${HOME_NFS_RELEASE_SUFFIX}`;
}
/** The chart exports its volume at NFSv4 pseudo path `/` (templates/configmap.yaml `Pseudo = /`). */
export const HOME_NFS_EXPORT_PATH = "/";
/**
 * Client options from the chart's example PV (examples/jupyterhub-nfs-volume.yaml): `soft` so a lost server
 * returns errors instead of hanging every process, `noresvport` so a reconnect after a server restart gets a
 * new source port.
 */
export const HOME_NFS_MOUNT_OPTIONS = ["rsize=1048576", "wsize=1048576", "timeo=600", "soft", "retrans=2", "noresvport"];
/** How often the quota enforcer looks for new home directories, in seconds (the chart's default). */
const QUOTA_WAIT_SECONDS = 30;

/**
 * A hub's volume: a cloud disk as the chart takes it (its cloud, the chart's values key, and volume id), or on an
 * existing cluster a claim the fleet makes from a storage class.
 */
export type HomeNfsDisk =
    | { readonly cloud: "eks" | "gke" | "openstack"; readonly volumeId: pulumi.Input<string> }
    | {
        /** The class the claim is made from, resolved once it is read to retain. */
        readonly storageClass: pulumi.Input<string>;
        /** The claim's request in GiB; a larger one resizes the volume in place. */
        readonly sizeGb: number;
    };

/**
 * Where the post-renderer that drops the chart's own claim (see above) is, as the release names it: relative to
 * the provider's working directory, so the same on every machine. Helm execs that path (pkg/postrender/exec.go
 * `getFullPath`: exec.LookPath) from the provider's directory, which is the program's: Pulumi starts both in the
 * directory of `main` (pulumi/pulumi pkg/engine/projinfo.go `getPwdMain`: bin/ for `main: bin/index.js`;
 * sdk/go/common/resource/plugin/plugin.go `execPlugin`: `cmd.Dir = pwd`; the Node.js host chdirs to it), hence
 * `cwd`. The script is not compiled: it stays in the sources, beside `moduleFile` under ts-node and two levels
 * above it when compiled to bin/components/.
 */
export function homeNfsPostrenderPath(moduleFile: string, cwd: string): string {
    const projectDir = path.resolve(path.dirname(moduleFile), moduleFile.endsWith(".js") ? "../.." : "..");
    return path.relative(cwd, path.join(projectDir, "components", "homeNfsPostrender.js"));
}
export const HOME_NFS_POSTRENDER = homeNfsPostrenderPath(__filename, process.cwd());

export interface HomeNfsValuesInput {
    readonly disk: HomeNfsDisk;
    /** Each user's cap in GiB; no quota enforcer without one. */
    readonly quotaGb?: number;
    /** Where the server pod may run: the disk's zone (a disk attaches in its own zone only). */
    readonly nodeSelector: Readonly<Record<string, string>>;
}

/** The chart's values for one hub's server. Pure. */
export function homeNfsValues(input: HomeNfsValuesInput): PlainObject {
    return {
        fullnameOverride: "",
        // persistentVolume.size stays the chart's nominal 1M: the filesystem is as large as the disk, and a larger
        // request on the chart's claim would be a resize Kubernetes refuses for a claim without a storage class.
        quotaEnforcer: {
            enabled: input.quotaGb !== undefined,
            // Also read when the enforcer is off: ganesha squashes every client to this uid/gid
            // (templates/configmap.yaml `Anonymous_uid`), so every file belongs to the user servers' uid.
            config: {
                QuotaManager: {
                    paths: ["/export"],
                    hard_quota: input.quotaGb ?? 0,
                    wait_time: QUOTA_WAIT_SECONDS,
                    min_projid: 1000,
                    // The hub's shared directory is everyone's, capped by the volume only.
                    exclude: [SHARED_DIRECTORY_NAME],
                    uid: DEFAULT_USER_UID,
                    gid: DEFAULT_USER_GID,
                },
            },
        },
        autoResizer: { enabled: true },
        nodeSelector: { ...input.nodeSelector },
        // Without a cloud the chart makes no PV, and its Deployment mounts the fleet's claim.
        ...("cloud" in input.disk ? { [input.disk.cloud]: { enabled: true, volumeId: input.disk.volumeId } } : {}),
    };
}

/** The fleet's claim for a volume from a storage class, named as the chart's Deployment mounts it. Pure. */
export function homeNfsClaimArgs(namespace: pulumi.Input<string>, disk: Extract<HomeNfsDisk, { storageClass: unknown }>): k8s.core.v1.PersistentVolumeClaimArgs {
    return {
        metadata: { name: HOME_NFS_SERVICE, namespace },
        spec: {
            // One server pod mounts it, as the chart's own claim (persistentVolume.accessModes' default).
            accessModes: ["ReadWriteOnce"],
            storageClassName: disk.storageClass,
            resources: { requests: { storage: `${disk.sizeGb}Gi` } },
        },
    };
}

export interface HomeNfsServerArgs {
    readonly hubKey: string;
    /** The hub's namespace (an Output, so the server waits for it). */
    readonly namespace: pulumi.Input<string>;
    readonly values: HomeNfsValuesInput;
    readonly kubeProvider: k8s.Provider;
    /** The disk and anything else the server needs first. */
    readonly dependsOn?: pulumi.Resource[];
}

export class HomeNfsServer extends pulumi.ComponentResource {
    /**
     * The server's Service cluster IP, for the hub's PV: kubelet mounts NFS from the node, whose resolver does
     * not know cluster DNS names. Read from the Service the release made; unknown in the preview that creates it.
     */
    readonly address: pulumi.Output<string>;
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: HomeNfsServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:hub:HomeNfsServer", name, {}, opts);
        const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.kubeProvider };
        const disk = args.values.disk;
        // Only spec.resources of a claim changes in place (pulumi-kubernetes provider/pkg/provider/diff.go `forceNew`
        // lists its accessModes, selector, storageClassName and volumeName), so a larger sizeGb is a patch, and
        // `protect` refuses anything that would replace or delete it.
        const claim = "storageClass" in disk
            ? new k8s.core.v1.PersistentVolumeClaim(`${name}-claim`, homeNfsClaimArgs(args.namespace, disk),
                { ...childOpts, protect: true, dependsOn: args.dependsOn })
            : undefined;
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: homeNfsReleaseName(args.hubKey),
            namespace: args.namespace,
            // helm.v3.Release pulls oci:// charts itself (pulumi/pulumi-kubernetes#1892); no repositoryOpts.
            chart: HOME_NFS_CHART,
            version: HOME_NFS_CHART_VERSION,
            values: homeNfsValues(args.values),
            postrender: claim ? HOME_NFS_POSTRENDER : undefined,
            atomic: true,
            cleanupOnFail: true,
        }, { ...childOpts, dependsOn: [...args.dependsOn ?? [], ...claim ? [claim] : []] });
        // The ID comes from the release's status, so the read waits for the release (see Hub.proxyAddress).
        const serviceId = this.release.status.apply(status => `${status.namespace}/${HOME_NFS_SERVICE}`);
        const service = k8s.core.v1.Service.get(`${name}-service`, serviceId, { ...childOpts, dependsOn: [this.release] });
        this.address = service.spec.clusterIP;
        this.registerOutputs({ address: this.address });
    }
}

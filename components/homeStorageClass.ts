/**
 * Volumes from a storage class the operator names: dynamic homes (one volume per user), on an existing cluster
 * each hub's nfs-server volume, and an existing cluster's monitoring volumes. When that class deletes a volume
 * with its claim (the usual default: OVH's csi-cinder-*, kind's standard, most clusters' default), removing a
 * hub, or KubeSpawner deleting a claim, deletes what the volume holds. Our own classes retain; a class the
 * operator names exists already, so the deployment reads it and stops before anything uses it if it would not
 * retain (or, for nfs-server quotas, not make XFS volumes with project quotas).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** What an operator's class is for: what its volumes hold and how to fix a class that would delete them. */
export interface StorageClassUse {
    /** What would be lost, as the message names it. */
    readonly holds: string;
    /** How to fix the config, naming its key. */
    readonly fix: string;
}

/** `homeStorage.storageClass`: users' dynamic home volumes. */
export const HOME_VOLUMES: StorageClassUse = {
    holds: "a user's home volume",
    fix: "name a class with reclaimPolicy: Retain in homeStorage.storageClass, or remove storageClass to use the retaining " +
        "class the fleet creates (where the platform has one)",
};

/** `homeStorage.storageClass` of nfs-server homes on an existing cluster: one volume with every home of a hub. */
export const NFS_SERVER_VOLUMES: StorageClassUse = {
    holds: "a hub's nfs-server volume",
    fix: "name a class with reclaimPolicy: Retain in homeStorage.storageClass",
};

/** `monitoring.storageClass` (existing clusters, which get no class of the fleet's): Prometheus' and Grafana's volumes. */
export const MONITORING_VOLUMES: StorageClassUse = {
    holds: "Prometheus' metrics or Grafana's database",
    fix: "name a class with reclaimPolicy: Retain in monitoring.storageClass",
};

/** What the checks read of a storage class. */
export interface StorageClassFacts {
    readonly reclaimPolicy?: string;
    readonly parameters?: Readonly<Record<string, string>>;
    readonly mountOptions?: readonly string[];
}

/** What a named class must say so that a volume of `use` outlives its claim. */
export function retainProblem(className: string, reclaimPolicy: string | undefined, use: StorageClassUse): string | undefined {
    if (reclaimPolicy === "Retain") return undefined;
    return `storage class ${className} has reclaimPolicy ${reclaimPolicy ?? "Delete"}, so ${use.holds} would be deleted ` +
        `with its claim: ${use.fix}`;
}

/**
 * What a named class must give a hub's nfs-server volume: it must retain it, and where a hub has a quota it must
 * make XFS mounted with project quotas, as the chart's own PV does for a cloud disk (jupyterhub-home-nfs 1.2.0
 * templates/persistent-volume.yaml: `fsType: xfs`, mount option `pquota`); the quota enforcer's `xfs_quota`
 * works on nothing else. The file system is the CSI provisioner's `csi.storage.k8s.io/fstype` parameter, or its
 * deprecated `fstype` (any case; kubernetes-csi/external-provisioner pkg/controller/controller.go).
 */
export function nfsServerClassProblem(className: string, facts: StorageClassFacts, quotas: boolean): string | undefined {
    const notRetained = retainProblem(className, facts.reclaimPolicy, NFS_SERVER_VOLUMES);
    if (notRetained || !quotas) return notRetained;
    const fsType = Object.entries(facts.parameters ?? {})
        .find(([key]) => key === "csi.storage.k8s.io/fstype" || key.toLowerCase() === "fstype")?.[1];
    const projectQuotas = (facts.mountOptions ?? []).some(option => option === "pquota" || option === "prjquota");
    if (fsType?.toLowerCase() === "xfs" && projectQuotas) return undefined;
    return `storage class ${className} makes ${fsType ?? "its driver's default"} volumes mounted ${projectQuotas ? "with" : "without"} ` +
        "project quotas, where per-user quotas need XFS with pquota: name a class with parameters " +
        "{ csi.storage.k8s.io/fstype: xfs } and mountOptions [pquota], or remove perUserQuotaGb and the hubs' homeQuotaGb";
}

/** The operator's storage class `className`, read from the cluster. */
function readStorageClass(name: string, className: string, opts: pulumi.CustomResourceOptions): k8s.storage.v1.StorageClass {
    return k8s.storage.v1.StorageClass.get(name, className, opts);
}

/** `className` once `problem` is undefined; the deployment fails with the problem otherwise. */
function unlessProblem(className: string, problem: pulumi.Output<string | undefined>): pulumi.Output<string> {
    return problem.apply(found => {
        if (found) throw new Error(found);
        return className;
    });
}

/** The class of `use`, read from the cluster: the name resolves only if the class retains (retainProblem). */
export function retainingStorageClass(name: string, className: string, use: StorageClassUse, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const existing = readStorageClass(name, className, opts);
    return unlessProblem(className, existing.reclaimPolicy.apply(reclaimPolicy => retainProblem(className, reclaimPolicy, use)));
}

/** The class of nfs-server volumes, read from the cluster: the name resolves only if nfsServerClassProblem finds none. */
export function nfsServerStorageClass(name: string, className: string, quotas: boolean, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const existing = readStorageClass(name, className, opts);
    return unlessProblem(className, pulumi.all([existing.reclaimPolicy, existing.parameters, existing.mountOptions])
        .apply(([reclaimPolicy, parameters, mountOptions]) => nfsServerClassProblem(className, { reclaimPolicy, parameters, mountOptions }, quotas)));
}

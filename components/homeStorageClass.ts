/**
 * Home volumes from a storage class the operator names: dynamic homes (one volume per user) and, on an existing
 * cluster, each hub's nfs-server volume. When that class deletes a volume with its claim (the usual default:
 * OVH's csi-cinder-*, kind's standard, most clusters' default), removing a hub, or KubeSpawner deleting a claim,
 * deletes homes. Our own classes retain; a class the operator names exists already, so the deployment reads it
 * and stops before any hub uses it if it would not retain (or, for nfs-server quotas, not make XFS volumes with
 * project quotas).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** What the checks read of a storage class. */
export interface StorageClassFacts {
    readonly reclaimPolicy?: string;
    readonly parameters?: Readonly<Record<string, string>>;
    readonly mountOptions?: readonly string[];
}

/** What a named class must say so that a user's volume outlives its claim. */
export function retainProblem(className: string, reclaimPolicy: string | undefined): string | undefined {
    if (reclaimPolicy === "Retain") return undefined;
    return `storage class ${className} has reclaimPolicy ${reclaimPolicy ?? "Delete"}, so a user's home volume would be deleted ` +
        "with its claim: name a class with reclaimPolicy: Retain in homeStorage.storageClass, or remove storageClass to use " +
        "the retaining class the fleet creates (where the platform has one)";
}

/**
 * What a named class must give a hub's nfs-server volume: it must retain it, and where a hub has a quota it must
 * make XFS mounted with project quotas, as the chart's own PV does for a cloud disk (jupyterhub-home-nfs 1.2.0
 * templates/persistent-volume.yaml: `fsType: xfs`, mount option `pquota`); the quota enforcer's `xfs_quota`
 * works on nothing else. The file system is the CSI provisioner's `csi.storage.k8s.io/fstype` parameter, or its
 * deprecated `fstype` (any case; kubernetes-csi/external-provisioner pkg/controller/controller.go).
 */
export function nfsServerClassProblem(className: string, facts: StorageClassFacts, quotas: boolean): string | undefined {
    if (facts.reclaimPolicy !== "Retain") {
        return `storage class ${className} has reclaimPolicy ${facts.reclaimPolicy ?? "Delete"}, so a hub's nfs-server volume would be ` +
            "deleted with its claim: name a class with reclaimPolicy: Retain in homeStorage.storageClass";
    }
    if (!quotas) return undefined;
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

/** The class of dynamic homes, read from the cluster: the name resolves only if the class retains (retainProblem). */
export function retainingStorageClass(name: string, className: string, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const existing = readStorageClass(name, className, opts);
    return unlessProblem(className, existing.reclaimPolicy.apply(reclaimPolicy => retainProblem(className, reclaimPolicy)));
}

/** The class of nfs-server volumes, read from the cluster: the name resolves only if nfsServerClassProblem finds none. */
export function nfsServerStorageClass(name: string, className: string, quotas: boolean, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const existing = readStorageClass(name, className, opts);
    return unlessProblem(className, pulumi.all([existing.reclaimPolicy, existing.parameters, existing.mountOptions])
        .apply(([reclaimPolicy, parameters, mountOptions]) => nfsServerClassProblem(className, { reclaimPolicy, parameters, mountOptions }, quotas)));
}

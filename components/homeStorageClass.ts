/**
 * Dynamic homes are one volume per user, made by a storage class. When that class deletes a volume with its
 * claim (the usual default: OVH's csi-cinder-*, kind's standard, most clusters' default), removing a hub, or
 * KubeSpawner deleting a claim, deletes users' homes. Our own classes retain; a class the operator names
 * exists already, so the deployment reads it and stops before any hub uses it if it would not retain. The same
 * holds for the class an existing cluster's monitoring names for Prometheus' and Grafana's volumes.
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

/** `monitoring.storageClass` (existing clusters, which get no class of the fleet's): Prometheus' and Grafana's volumes. */
export const MONITORING_VOLUMES: StorageClassUse = {
    holds: "Prometheus' metrics or Grafana's database",
    fix: "name a class with reclaimPolicy: Retain in monitoring.storageClass",
};

/** What a named class must say so that a volume of `use` outlives its claim. */
export function retainProblem(className: string, reclaimPolicy: string | undefined, use: StorageClassUse): string | undefined {
    if (reclaimPolicy === "Retain") return undefined;
    return `storage class ${className} has reclaimPolicy ${reclaimPolicy ?? "Delete"}, so ${use.holds} would be deleted ` +
        `with its claim: ${use.fix}`;
}

/**
 * Reads the operator's storage class `className` from the cluster; the returned name resolves only if the
 * class retains volumes, and fails the deployment with `retainProblem`'s message for `use` otherwise.
 */
export function retainingStorageClass(name: string, className: string, use: StorageClassUse, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const existing = k8s.storage.v1.StorageClass.get(name, className, opts);
    return existing.reclaimPolicy.apply(reclaimPolicy => {
        const problem = retainProblem(className, reclaimPolicy, use);
        if (problem) throw new Error(problem);
        return className;
    });
}

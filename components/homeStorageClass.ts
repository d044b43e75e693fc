/**
 * Dynamic homes are one volume per user, made by a storage class. When that class deletes a volume with its
 * claim (the usual default: OVH's csi-cinder-*, kind's standard, most clusters' default), removing a hub, or
 * KubeSpawner deleting a claim, deletes users' homes. Our own classes retain; a class the operator names
 * exists already, so the deployment reads it and stops before any hub uses it if it would not retain.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** What a named class must say so that a user's volume outlives its claim. */
export function retainProblem(className: string, reclaimPolicy: string | undefined): string | undefined {
    if (reclaimPolicy === "Retain") return undefined;
    return `storage class ${className} has reclaimPolicy ${reclaimPolicy ?? "Delete"}, so a user's home volume would be deleted ` +
        "with its claim: name a class with reclaimPolicy: Retain in homeStorage.storageClass, or remove storageClass to use " +
        "the retaining class the fleet creates (where the platform has one)";
}

/**
 * Reads the operator's storage class `className` from the cluster; the returned name resolves only if the
 * class retains volumes, and fails the deployment with `retainProblem`'s message otherwise.
 */
export function retainingStorageClass(name: string, className: string, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const existing = k8s.storage.v1.StorageClass.get(name, className, opts);
    return existing.reclaimPolicy.apply(reclaimPolicy => {
        const problem = retainProblem(className, reclaimPolicy);
        if (problem) throw new Error(problem);
        return className;
    });
}

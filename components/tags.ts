/**
 * Cost attribution: the tags (AWS) and labels (GCP) on every cloud resource the fleet creates. One function
 * decides them on every cloud, so a cost report grouped by `jupyterhub-fleet-cluster` or
 * `jupyterhub-fleet-hub` covers everything the fleet made for that cluster or hub.
 */
export const CLUSTER_TAG = "jupyterhub-fleet-cluster";
export const HUB_TAG = "jupyterhub-fleet-hub";

/**
 * The tags of a resource that serves one cluster, or one hub on it. Cluster and hub keys are DNS labels, so
 * they are valid AWS tag values and GCP label values as they are.
 */
export function fleetTags(clusterKey: string, hubKey?: string): Record<string, string> {
    return hubKey === undefined ? { [CLUSTER_TAG]: clusterKey } : { [CLUSTER_TAG]: clusterKey, [HUB_TAG]: hubKey };
}

/**
 * StorageClass parameters that tag the EBS volumes the EBS CSI driver creates (`tagSpecification_<n>:
 * key=value`, aws-ebs-csi-driver docs/tagging.md): the provider's defaultTags never reach them.
 */
export function ebsVolumeTags(tags: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(tags).sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value], i) => [`tagSpecification_${i + 1}`, `${key}=${value}`]));
}

/** StorageClass parameters that label the disks the GCE PD CSI driver creates (`labels: k=v,k2=v2`). */
export function pdVolumeLabels(tags: Readonly<Record<string, string>>): Record<string, string> {
    return { labels: Object.entries(tags).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => `${key}=${value}`).join(",") };
}

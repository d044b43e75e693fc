/**
 * What the EKS cluster autoscaler runs: the chart, pinned, and the image for each Kubernetes minor. The
 * autoscaler must match the control plane's minor (it is built against that version's scheduler), so a new
 * `kubernetesVersion` needs its row here first; the config check says so before anything is deployed.
 */

export const CLUSTER_AUTOSCALER_CHART = {
    chart: "cluster-autoscaler",
    version: "9.50.1",
    repository: "https://kubernetes.github.io/autoscaler",
} as const;

/** registry.k8s.io/autoscaling/cluster-autoscaler tag by Kubernetes minor: the newest patch of each line. */
export const CLUSTER_AUTOSCALER_IMAGE_TAGS: Readonly<Record<string, string>> = {
    "1.30": "v1.30.3",
    "1.31": "v1.31.1",
    "1.32": "v1.32.3",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.0",
};

/**
 * The NVIDIA GPU operator on an OVH cluster with GPU pools, once per cluster. MKS GPU nodes have the card but no
 * driver, container toolkit or device plugin; OVH's guide "Deploying a GPU application on OVHcloud Managed
 * Kubernetes Service" (ovh/docs pages/public_cloud/containers_orchestration/managed_kubernetes/
 * deploying-gpu-application/guide.en-gb.md) installs NVIDIA's GPU operator from https://helm.ngc.nvidia.com/nvidia
 * into `gpu-operator`, which labels GPU nodes through node feature discovery and runs all three there, so a pod
 * requesting `nvidia.com/gpu` can be scheduled.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { poolAffinity } from "../nodePoolScheduling";

/** Pinned: NVIDIA's gpu-operator chart (its versions carry a `v`; v25.3.4 released in NVIDIA/gpu-operator#1708, with node feature discovery v0.17.3). */
export const GPU_OPERATOR_CHART = {
    chart: "gpu-operator",
    version: "v25.3.4",
    repository: "https://helm.ngc.nvidia.com/nvidia",
} as const;

export const GPU_OPERATOR_NAMESPACE = "gpu-operator";

/**
 * The chart values. The operator's node agents must reach GPU nodes whatever the pool's purpose taints them with
 * (user or dask besides the GPU taint), and the chart's defaults tolerate only the GPU taint
 * (NVIDIA/gpu-operator deployments/gpu-operator/values.yaml: `daemonsets.tolerations`,
 * `node-feature-discovery.worker.tolerations`): so they tolerate every taint, and the feature discovery worker,
 * which would otherwise run on every node, runs only on the GPU pools. The operator's own driver, toolkit and
 * plugin DaemonSets select the nodes the discovery labelled as having an NVIDIA card.
 */
export function gpuOperatorValues(gpuPoolKeys: readonly string[]): Record<string, unknown> {
    if (gpuPoolKeys.length === 0) throw new Error("the NVIDIA GPU operator is only installed on a cluster with a GPU pool");
    const everyTaint = [{ operator: "Exists" }];
    return {
        daemonsets: { tolerations: everyTaint },
        "node-feature-discovery": {
            worker: {
                tolerations: everyTaint,
                affinity: poolAffinity(gpuPoolKeys),
            },
        },
    };
}

export interface GpuOperatorArgs {
    /** Keys of the cluster's pools with `gpu`. */
    readonly gpuPoolKeys: readonly string[];
    /** The cluster's Kubernetes provider. */
    readonly kubeProvider: k8s.Provider;
}

export class GpuOperator extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: GpuOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:ovh:GpuOperator", name, {}, opts);
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "gpu-operator",
            namespace: GPU_OPERATOR_NAMESPACE,
            createNamespace: true,
            chart: GPU_OPERATOR_CHART.chart,
            version: GPU_OPERATOR_CHART.version,
            repositoryOpts: { repo: GPU_OPERATOR_CHART.repository },
            values: gpuOperatorValues(args.gpuPoolKeys),
        }, { parent: this, provider: args.kubeProvider });
        this.registerOutputs({});
    }
}

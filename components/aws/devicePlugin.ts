/**
 * The NVIDIA device plugin on an EKS cluster's GPU pools. The AL2023 NVIDIA AMI brings the driver and the
 * container toolkit but not the plugin (EKS user guide, "Use EKS-optimized accelerated AMIs for GPU instances":
 * install the NVIDIA device plugin for Kubernetes), and without it a node advertises no `nvidia.com/gpu`, so a
 * pod requesting one stays Pending.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { poolAffinity } from "../nodePoolScheduling";

/** Pinned: NVIDIA/k8s-device-plugin's chart, the version the EKS user guide installs ("Install Kubernetes device plugin for GPUs"). */
export const DEVICE_PLUGIN_CHART = {
    chart: "nvidia-device-plugin",
    version: "0.17.4",
    repository: "https://nvidia.github.io/k8s-device-plugin",
} as const;

export const DEVICE_PLUGIN_NAMESPACE = "kube-system";

/**
 * The chart values: the DaemonSet runs on the GPU pools' nodes and nowhere else, whatever else taints them (the
 * GPU taint, and the user or dask taint of the pool's purpose). The chart's default affinity wants node feature
 * discovery's PCI labels, which EKS nodes do not carry (deployments/helm/nvidia-device-plugin/values.yaml),
 * so it is replaced by the fleet's pool label.
 */
export function devicePluginValues(gpuPoolKeys: readonly string[]): Record<string, unknown> {
    if (gpuPoolKeys.length === 0) throw new Error("the NVIDIA device plugin is only installed on a cluster with a GPU pool");
    return {
        affinity: poolAffinity(gpuPoolKeys),
        tolerations: [{ operator: "Exists" }],
    };
}

export interface NvidiaDevicePluginArgs {
    /** Keys of the cluster's pools with `gpu`. */
    readonly gpuPoolKeys: readonly string[];
    /** The cluster's Kubernetes provider. */
    readonly kubeProvider: k8s.Provider;
}

export class NvidiaDevicePlugin extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: NvidiaDevicePluginArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:aws:NvidiaDevicePlugin", name, {}, opts);
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "nvidia-device-plugin",
            namespace: DEVICE_PLUGIN_NAMESPACE,
            chart: DEVICE_PLUGIN_CHART.chart,
            version: DEVICE_PLUGIN_CHART.version,
            repositoryOpts: { repo: DEVICE_PLUGIN_CHART.repository },
            values: devicePluginValues(args.gpuPoolKeys),
        }, { parent: this, provider: args.kubeProvider });
        this.registerOutputs({});
    }
}

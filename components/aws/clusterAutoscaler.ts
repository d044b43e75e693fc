/**
 * The Kubernetes cluster autoscaler for one EKS cluster. EKS managed node groups do not scale themselves:
 * without it a user pool stays at its minimum, and a pool at zero never starts a node for a user's server.
 * It runs on the core pool with its own IRSA role, and finds the node groups by the tags EKS puts on them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { CLUSTER_AUTOSCALER_CHART, CLUSTER_AUTOSCALER_IMAGE_TAGS } from "./autoscalerRelease";
import { clusterAutoscalerPolicy, irsaTrustPolicy } from "./policies";

export const CLUSTER_AUTOSCALER_NAMESPACE = "kube-system";
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler";
const RELEASE_TIMEOUT_SECONDS = 600;

export interface ClusterAutoscalerArgs {
    /** The EKS cluster's name: the autoscaler manages the node groups tagged with it. */
    readonly clusterName: pulumi.Input<string>;
    /** Kubernetes minor of the control plane, e.g. "1.33": picks the autoscaler image. */
    readonly kubernetesVersion: string;
    readonly region: string;
    /** IAM role name for the autoscaler. */
    readonly roleName: string;
    /** The cluster's IAM OIDC provider and issuer URL, for the IRSA trust. */
    readonly oidcProviderArn: pulumi.Input<string>;
    readonly issuerUrl: pulumi.Input<string>;
    /** Node labels of the pool the autoscaler runs on (the core pool: it must not run on nodes it removes). */
    readonly nodeSelector: Readonly<Record<string, string>>;
    /** The cluster's Kubernetes provider. */
    readonly kubeProvider: k8s.Provider;
    /** The cluster's AWS provider. */
    readonly awsProvider: aws.Provider;
}

/** The chart values: auto-discovery of this cluster's node groups, the IRSA annotation, placement. */
export function clusterAutoscalerValues(args: {
    clusterName: string; region: string; kubernetesVersion: string; roleArn: string; nodeSelector: Readonly<Record<string, string>>;
}): Record<string, unknown> {
    const tag = CLUSTER_AUTOSCALER_IMAGE_TAGS[args.kubernetesVersion];
    if (!tag) {
        throw new Error(`no cluster autoscaler image is known for Kubernetes ${args.kubernetesVersion}: ` +
            "add it to CLUSTER_AUTOSCALER_IMAGE_TAGS in components/aws/autoscalerRelease.ts");
    }
    return {
        cloudProvider: "aws",
        awsRegion: args.region,
        autoDiscovery: { clusterName: args.clusterName },
        image: { tag },
        fullnameOverride: "cluster-autoscaler",
        rbac: {
            serviceAccount: {
                name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
                annotations: { "eks.amazonaws.com/role-arn": args.roleArn },
            },
        },
        nodeSelector: { ...args.nodeSelector },
        // With several user pools (small and large machines), start the one that leaves least unused for the
        // waiting servers, rather than a random one.
        extraArgs: { expander: "least-waste" },
        resources: { requests: { cpu: "100m", memory: "300Mi" }, limits: { memory: "600Mi" } },
    };
}

export class ClusterAutoscaler extends pulumi.ComponentResource {
    readonly roleArn: pulumi.Output<string>;
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: ClusterAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:aws:ClusterAutoscaler", name, {}, opts);
        const awsOpts = { parent: this, provider: args.awsProvider };

        const role = new aws.iam.Role(`${name}-role`, {
            name: args.roleName,
            description: `Cluster autoscaler (IRSA: ${CLUSTER_AUTOSCALER_NAMESPACE}/${CLUSTER_AUTOSCALER_SERVICE_ACCOUNT})`,
            assumeRolePolicy: pulumi.all([args.oidcProviderArn, args.issuerUrl]).apply(([providerArn, issuer]) =>
                irsaTrustPolicy(providerArn, issuer, CLUSTER_AUTOSCALER_NAMESPACE, CLUSTER_AUTOSCALER_SERVICE_ACCOUNT)),
        }, awsOpts);
        const policy = new aws.iam.RolePolicy(`${name}-policy`, {
            role: role.name,
            name: "cluster-autoscaler",
            policy: pulumi.output(args.clusterName).apply(clusterAutoscalerPolicy),
        }, awsOpts);

        this.roleArn = role.arn;
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "cluster-autoscaler",
            namespace: CLUSTER_AUTOSCALER_NAMESPACE,
            chart: CLUSTER_AUTOSCALER_CHART.chart,
            version: CLUSTER_AUTOSCALER_CHART.version,
            repositoryOpts: { repo: CLUSTER_AUTOSCALER_CHART.repository },
            values: pulumi.all([args.clusterName, role.arn]).apply(([clusterName, roleArn]) => clusterAutoscalerValues({
                clusterName, roleArn, region: args.region, kubernetesVersion: args.kubernetesVersion, nodeSelector: args.nodeSelector,
            })),
            atomic: true,
            cleanupOnFail: true,
            timeout: RELEASE_TIMEOUT_SECONDS,
        }, { parent: this, provider: args.kubeProvider, dependsOn: [policy] });

        this.registerOutputs({ roleArn: this.roleArn });
    }
}

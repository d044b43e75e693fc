/** The kubeconfig of an EKS cluster, as a pure function of its endpoint, CA and name. */
import { stableJson } from "../util";

export interface EksKubeconfigArgs {
    /** The EKS cluster's name. */
    readonly clusterName: string;
    /** API server URL. */
    readonly endpoint: string;
    /** Base64 CA bundle (`certificateAuthority.data`). */
    readonly certificateAuthorityData: string;
    readonly region: string;
}

/**
 * A kubeconfig (JSON, which is YAML) whose user runs `aws eks get-token`: it holds no credential of its own,
 * and whoever uses it acts with their current AWS identity.
 */
export function eksKubeconfig(args: EksKubeconfigArgs): string {
    return stableJson({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{
            name: args.clusterName,
            cluster: { server: args.endpoint, "certificate-authority-data": args.certificateAuthorityData },
        }],
        contexts: [{ name: args.clusterName, context: { cluster: args.clusterName, user: args.clusterName } }],
        "current-context": args.clusterName,
        users: [{
            name: args.clusterName,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", args.clusterName, "--region", args.region],
                },
            },
        }],
    });
}

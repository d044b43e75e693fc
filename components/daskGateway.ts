/**
 * dask-gateway for one hub: its helm release in the hub's namespace and the network policies around its pods.
 * Users log in to it with their hub token (the Hub registers it as a JupyterHub service with the same token).
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
    DASK_GATEWAY_CHART_VERSION, DASK_GATEWAY_RELEASE, DASK_GATEWAY_REPOSITORY, daskGatewaySecretValues, daskGatewayValues,
    DaskGatewayValuesInput, daskNetworkPolicies,
} from "./daskGatewayValues";
import { CloudMetadataAccess } from "./platform";
import { deepMerge, PlainObject } from "./util";

/** Helm waits this long for the gateway to become ready before rolling back (`atomic`). */
const RELEASE_TIMEOUT_SECONDS = 600;

export interface DaskGatewayArgs {
    /** The hub's namespace (created by the Hub). */
    readonly namespace: pulumi.Input<string>;
    /** The gateway's values (see daskGatewayValues). */
    readonly values: DaskGatewayValuesInput;
    /** The token of the hub's `dask-gateway` service; a Pulumi secret. */
    readonly apiToken: pulumi.Output<string>;
    /**
     * The content of the per-user Secret index (`values.userSecrets`), a Pulumi secret: the gateway restarts when
     * it changes, so it never serves a user by an index older than the hub's.
     */
    readonly userSecretIndex?: pulumi.Output<string>;
    /** How the platform keeps user pods from the cloud metadata server; schedulers and workers are kept the same way. */
    readonly cloudMetadata: CloudMetadataAccess;
    /** Egress user servers get from the platform beyond z2jh's defaults; schedulers and workers get it too. */
    readonly userEgress: readonly PlainObject[];
    readonly kubeProvider: k8s.Provider;
    /** Resources the release must wait for (the namespace, the hub's `user-sa`). */
    readonly dependsOn: pulumi.Resource[];
}

function sha256(text: string): string {
    return crypto.createHash("sha256").update(text).digest("hex");
}

export class DaskGateway extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: DaskGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:hub:DaskGateway", name, {}, opts);
        const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.kubeProvider };

        const policies = Object.entries(daskNetworkPolicies(args.cloudMetadata, args.userEgress)).map(([role, spec]) =>
            new k8s.networking.v1.NetworkPolicy(`${name}-${role}`, {
                metadata: { name: `${DASK_GATEWAY_RELEASE}-${role}`, namespace: args.namespace },
                spec: spec as unknown as k8s.types.input.networking.v1.NetworkPolicySpec,
            }, { ...childOpts, dependsOn: args.dependsOn }));

        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: DASK_GATEWAY_RELEASE,
            namespace: args.namespace,
            chart: "dask-gateway",
            version: DASK_GATEWAY_CHART_VERSION,
            repositoryOpts: { repo: DASK_GATEWAY_REPOSITORY },
            // The token sits in `values` as a secret leaf, which the provider keeps secret in the state
            // (scripts/engineModel/helmRelease.ts); a values file would store it in plain text.
            values: deepMerge(daskGatewayValues(args.values), daskGatewaySecretValues(pulumi.secret(args.apiToken),
                args.userSecretIndex && pulumi.secret(args.userSecretIndex.apply(sha256)))),
            atomic: true,
            cleanupOnFail: true,
            timeout: RELEASE_TIMEOUT_SECONDS,
        }, { ...childOpts, dependsOn: [...args.dependsOn, ...policies] });

        this.registerOutputs({});
    }
}

/**
 * An existing Kubernetes cluster as a platform: an on-premises or OpenShift cluster run by someone else
 * (Valeria, CERN VRE), or a laptop cluster (kind, minikube, k3d) for trying the fleet out. Nothing is created
 * around the cluster: its storage (an NFS server, a storage class) and S3-compatible object storage exist
 * already, and this component only describes them to the hubs (an nfs-server hub claims its volume from the
 * class: homeNfsServer.ts), plus, on OpenShift, the security context constraints the hubs' pods need (see
 * ../../docs/existing-clusters.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { bucketFullName, HubSpec, KubernetesClusterSpec } from "../config";
import { HOME_VOLUMES, nfsServerStorageClass, retainingStorageClass } from "../homeStorageClass";
import {
    BucketRef, HomeVolume, HubAccess, Platform, PlatformArgs, UserVolume, baseHubAccess, bucketEnvVars, hubOnCluster,
} from "../platform";
import { DEFAULT_USER_GID, DEFAULT_USER_UID } from "../z2jhValues";
import { HOME_DIRECTORY_HOOK_KEY, homeDirectoryHook } from "../hooks/homeDirectory";
import { chartSccBinding, chartServiceAccounts, userSecurityContextConstraints } from "./scc";
import { userEgressRules } from "./userEgress";

export interface KubernetesClusterArgs extends PlatformArgs<KubernetesClusterSpec> {
    /**
     * `clusterSecrets.<cluster>.kubeconfig`, as a Pulumi secret. Without it the provider uses the
     * operator's own kubeconfig (`KUBECONFIG` or ~/.kube/config) with the cluster's `context`, or its
     * current context.
     */
    readonly kubeconfig?: pulumi.Output<string>;
}

/**
 * The provider's identity: the cluster key and the context. A rotated token or certificate in the
 * kubeconfig changes neither, so it updates the provider instead of replacing every resource on it; a
 * different context is a different cluster, and should.
 */
export function clusterIdentifier(clusterKey: string, context: string | undefined): string {
    return `kubernetes/${clusterKey}/${context ?? "current-context"}`;
}

/**
 * `kubeconfig` for a cluster reached through the operator's own kubeconfig: a YAML comment (an empty
 * document) saying so. The program never reads that file, so no local credential reaches the state.
 */
export function operatorKubeconfigNote(clusterKey: string, context: string | undefined): string {
    const which = context ? `context ${context}` : "its current context";
    return `# jupyterhub-fleet: cluster ${clusterKey} is reached through the operator's own kubeconfig (${which}); it is not copied into the stack.\n`;
}

/**
 * Env for S3-compatible storage. boto3 1.36+ sends new integrity checksums by default, which some
 * S3-compatible servers (older Ceph RGW among them) reject; sending them only when an operation requires
 * one works with all of them.
 */
function s3EndpointEnv(endpoint: string | undefined): Record<string, string> {
    return endpoint ? { AWS_ENDPOINT_URL_S3: endpoint, AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED" } : {};
}

/** The cluster's config key is its component name (`new KubernetesCluster(clusterKey, …)`). */
export class KubernetesCluster extends pulumi.ComponentResource implements Platform {
    readonly clusterKey: string;
    readonly providerName = "kubernetes" as const;
    readonly kubeProvider: k8s.Provider;
    /**
     * The kubeconfig from `clusterSecrets` (secret), or, when the operator's own kubeconfig is used, a
     * note naming the context (see operatorKubeconfigNote).
     */
    readonly kubeconfig: pulumi.Output<string>;
    readonly isLocal: boolean;
    /** An existing cluster's nodes may carry no purpose labels: z2jh keeps preferring, not requiring. */
    readonly dedicatedNodePools = false;
    /** The cluster's existing buckets (not created here), by config key. */
    readonly buckets: Readonly<Record<string, BucketRef>>;
    /** OpenShift: each hub's user SecurityContextConstraints, by hub key. */
    readonly securityContextConstraints: Readonly<Record<string, k8s.apiextensions.CustomResource>>;
    /** OpenShift: each hub's binding of the chart's service accounts to nonroot-v2, by hub key. */
    readonly chartSccBindings: Readonly<Record<string, k8s.rbac.v1.ClusterRoleBinding>>;
    private readonly spec: KubernetesClusterSpec;
    private readonly hubs: Readonly<Record<string, HubSpec>>;
    /**
     * For dynamic homes: the named class once it is known to retain volumes (the cluster default on a laptop).
     * For nfs-server homes: the class of each hub's volume once it is known to retain them (and, with quotas, to
     * make XFS with project quotas).
     */
    private readonly homeStorageClass?: pulumi.Output<string>;

    constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:kubernetes:Cluster", name, {}, opts);
        const spec = args.cluster;
        this.clusterKey = name;
        this.spec = spec;
        this.hubs = args.hubs;
        this.isLocal = spec.local;

        this.kubeconfig = pulumi.secret(args.kubeconfig ?? operatorKubeconfigNote(name, spec.context));
        this.kubeProvider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: args.kubeconfig ? pulumi.secret(args.kubeconfig) : undefined,
            context: spec.context,
            clusterIdentifier: clusterIdentifier(name, spec.context),
        }, { parent: this });

        this.buckets = Object.fromEntries(Object.entries(spec.buckets).map(([key, bucket]) => {
            const fullName = bucketFullName(name, "kubernetes", key, bucket);
            return [key, { name: pulumi.output(fullName), url: pulumi.output(`s3://${fullName}`) }];
        }));

        const home = spec.homeStorage;
        const classOpts: pulumi.CustomResourceOptions = { parent: this, provider: this.kubeProvider };
        if (home.type === "dynamic" && home.storageClass) {
            this.homeStorageClass = retainingStorageClass(`${name}-home-storage-class`, home.storageClass, HOME_VOLUMES, classOpts);
        } else if (home.type === "nfs-server") {
            if (!home.storageClass) {
                throw new Error(`clusters.${name}.homeStorage.storageClass: nfs-server homes on an existing cluster need a named storage class`);
            }
            const quotas = home.perUserQuotaGb !== undefined
                || Object.values(args.hubs).some(hub => hub.storage !== "none" && hub.homeQuotaGb !== undefined);
            this.homeStorageClass = nfsServerStorageClass(`${name}-home-storage-class`, home.storageClass, quotas, classOpts);
        }

        const constraints: Record<string, k8s.apiextensions.CustomResource> = {};
        const bindings: Record<string, k8s.rbac.v1.ClusterRoleBinding> = {};
        if (spec.openshift) {
            for (const [hubKey, hub] of Object.entries(args.hubs)) {
                constraints[hubKey] = new k8s.apiextensions.CustomResource(`${name}-scc-${hubKey}`,
                    userSecurityContextConstraints({
                        hubKey, uid: DEFAULT_USER_UID, gid: DEFAULT_USER_GID,
                        perUserUids: hub.userSecrets?.vault !== undefined,
                    }), { parent: this, provider: this.kubeProvider });
                // The hub key is the release name (hub.ts), which the chart's account names derive from.
                bindings[hubKey] = new k8s.rbac.v1.ClusterRoleBinding(`${name}-chart-scc-${hubKey}`,
                    chartSccBinding(hubKey, chartServiceAccounts(hubKey, hub.values)), { parent: this, provider: this.kubeProvider });
            }
        }
        this.securityContextConstraints = constraints;
        this.chartSccBindings = bindings;

        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }

    homeVolume(hubKey: string): HomeVolume {
        this.hubSpec(hubKey);
        const home = this.spec.homeStorage;
        switch (home.type) {
            case "nfs":
                return { kind: "nfs", server: home.server, path: home.path, hubDirectory: hubKey, createsUserDirectories: true };
            case "dynamic":
                return { kind: "dynamic", storageClass: this.homeStorageClass, capacity: home.size };
            case "nfs-server":
                return {
                    kind: "nfs-server",
                    // Set with the type in the constructor.
                    disk: { storageClass: this.homeStorageClass!, sizeGb: home.sizeGb },
                    sizeGb: home.sizeGb,
                    perUserQuotaGb: home.perUserQuotaGb,
                    // The site's nodes carry no purpose labels, and its class places the volume (a topology-aware
                    // class binds where the server's pod is scheduled): nothing to pin the server to.
                    nodeSelector: {},
                };
            default:
                throw new Error(`cluster ${this.clusterKey}: ${home.type} home storage is not available on an existing cluster`);
        }
    }

    hubAccess(hubKey: string): HubAccess {
        const hub = this.hubSpec(hubKey);
        const userVolumes: UserVolume[] = this.spec.extraMounts.map(mount => ({
            name: mount.name, server: mount.server, path: mount.path, mountPath: mount.mountPath, readOnly: mount.readOnly,
        }));
        const scc = this.securityContextConstraints[hubKey];
        const binding = this.chartSccBindings[hubKey];
        const home = this.spec.homeStorage;
        return baseHubAccess({
            env: { ...s3EndpointEnv(this.spec.s3Endpoint), ...bucketEnvVars(hub, this.buckets) },
            // Existing clusters give user pods no cloud identity through a metadata endpoint. OpenShift's
            // SCCs refuse the chart's root NET_ADMIN iptables init container, so there only the network
            // policy keeps pods away from it.
            cloudMetadata: this.spec.openshift ? "network-policy" : "block",
            // A hub without storage mounts no home, so no user directory is made for it on the server.
            hubExtraConfig: home.type === "nfs" && hub.storage !== "none"
                ? { [HOME_DIRECTORY_HOOK_KEY]: homeDirectoryHook({ server: home.server, path: home.path, fsGid: DEFAULT_USER_GID }) }
                : {},
            userVolumes,
            userEgress: userEgressRules(this.spec),
            userSecurity: scc ? { uid: DEFAULT_USER_UID, gid: DEFAULT_USER_GID, fsGid: DEFAULT_USER_GID } : undefined,
            dependsOn: scc && binding ? [scc, binding] : [],
            // Users bring their own credentials for the S3-compatible endpoint (Vault, personal keys).
            reachableBuckets: Object.keys(this.buckets),
        });
    }

    private hubSpec(hubKey: string): HubSpec {
        return hubOnCluster(this.clusterKey, this.hubs, hubKey);
    }
}

/**
 * A GKE cluster and everything its hubs need on GCP: node pools, home storage (Filestore or retained
 * persistent disks), GCS buckets, and a Google service account per hub that users reach through
 * Workload Identity (see ../../docs/gcp.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import { GcpClusterSpec, HubSpec } from "../config";
import {
    BucketRef, HomeVolume, HubAccess, Platform, PlatformArgs, baseHubAccess, bucketEnvVars, grantedBuckets, hubOnCluster, hubsWithHomes,
} from "../platform";
import { fleetTags, pdVolumeLabels } from "../tags";
import { ProjectApis, requiredApis } from "./apis";
import { budgetChannels, gcpBudgetArgs } from "./budget";
import { Buckets } from "./buckets";
import {
    NODE_OAUTH_SCOPES, WORKLOAD_METADATA_MODE, clusterNetwork, datapathProvider, gkeKubeconfig, nodePoolSettings, versionSettings,
} from "./gke";
import { HomeStorage, PD_CSI_DRIVER } from "./homeStorage";
import { HubIdentity } from "./hubIdentity";
import { workloadPool } from "./iam";
import { NodeIdentity } from "./nodeIdentity";

/** The annotation that binds a Kubernetes service account to a Google service account. */
export const GSA_ANNOTATION = "iam.gke.io/gcp-service-account";

/** The cluster's config key is its component name (`new GcpCluster(clusterKey, …)`). */
export class GcpCluster extends pulumi.ComponentResource implements Platform {
    readonly clusterKey: string;
    readonly providerName = "gcp" as const;
    readonly kubeProvider: k8s.Provider;
    /** Kubeconfig using gke-gcloud-auth-plugin (secret: it names the endpoint and CA). */
    readonly kubeconfig: pulumi.Output<string>;
    readonly isLocal = false;
    readonly dedicatedNodePools = true;
    readonly volumeProvisioner = { provisioner: PD_CSI_DRIVER, parameters: { type: "pd-balanced" }, tagParameters: pdVolumeLabels };
    readonly buckets: Readonly<Record<string, BucketRef>>;
    /** The GKE cluster's name, from the created cluster. */
    readonly clusterName: pulumi.Output<string>;
    readonly project: string;
    readonly region: string;

    /** Provider every GCP resource of this cluster uses, pinned to the cluster's project and region. */
    readonly gcpProvider: gcp.Provider;
    /** The project APIs the cluster's resources need, enabled first. */
    readonly apis: ProjectApis;
    /** The service account the nodes run as. */
    readonly nodeIdentity: NodeIdentity;
    /** The GKE cluster. */
    readonly cluster: gcp.container.Cluster;
    /** Node pools by config key. */
    readonly nodePools: Readonly<Record<string, gcp.container.NodePool>>;
    /** The Filestore instance or the per-user disks' storage class. */
    readonly homeStorage: HomeStorage;
    /** The bucket resources behind `buckets`. */
    readonly bucketStore: Buckets;
    /** Service accounts of the hubs with `cloudAccess`, by hub key. */
    readonly hubIdentities: Readonly<Record<string, HubIdentity>>;
    private readonly hubs: Readonly<Record<string, HubSpec>>;

    constructor(name: string, args: PlatformArgs<GcpClusterSpec>, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:gcp:Cluster", name, {}, opts);
        const spec = args.cluster;
        this.clusterKey = name;
        this.project = spec.project;
        this.region = spec.region;
        this.hubs = args.hubs;

        // Every GCP resource with labels carries the cluster's (tags.ts); GKE copies the cluster's resource
        // labels to its nodes' VMs and disks, where most of the cost is.
        const provider = new gcp.Provider(`${name}-gcp`, {
            project: spec.project, region: spec.region, defaultLabels: fleetTags(name),
        }, { parent: this });
        this.gcpProvider = provider;

        const apis = new ProjectApis(`${name}-apis`, { project: spec.project, apis: requiredApis(spec) }, { parent: this, providers: [provider] });
        this.apis = apis;
        const nodeIdentity = new NodeIdentity(`${name}-nodes`, {
            project: spec.project, clusterKey: name, apis: apis.of("iam", "cloudresourcemanager"),
        }, { parent: this, providers: [provider] });
        this.nodeIdentity = nodeIdentity;
        const nodeConfigIdentity = { serviceAccount: nodeIdentity.email, oauthScopes: NODE_OAUTH_SCOPES };
        const network = clusterNetwork(spec);

        const cluster = new gcp.container.Cluster(`${name}-cluster`, {
            name,
            // A regional control plane survives a zone outage and upgrades without API downtime; the nodes
            // stay in one zone so disks and Filestore are next to them and node counts mean what they say.
            location: spec.region,
            nodeLocations: [spec.zone],
            network: network.network,
            subnetwork: network.subnetwork,
            networkingMode: "VPC_NATIVE",
            ipAllocationPolicy: {},
            // Pools are separate resources, so changing one never touches the cluster.
            removeDefaultNodePool: true,
            initialNodeCount: 1,
            // The default pool lives only while the cluster is created, but its nodes must still start: not
            // as the Compute Engine default account, which organisations often disable or strip of roles.
            nodeConfig: nodeConfigIdentity,
            ...versionSettings(spec),
            workloadIdentityConfig: { workloadPool: workloadPool(spec.project) },
            datapathProvider: datapathProvider(spec.networkPolicy),
            addonsConfig: { gcePersistentDiskCsiDriverConfig: { enabled: true } },
            // Deleting or replacing the cluster takes its hubs down and strands users' retained disks: Pulumi
            // refuses while it is protected, and the provider while its own flag is set in the state.
            deletionProtection: spec.deletionProtection,
        }, {
            parent: this, provider, protect: spec.deletionProtection,
            dependsOn: [...apis.of("container", "compute", "iam", "iamcredentials", "logging", "monitoring"), ...nodeIdentity.grants],
            // nodeConfig only shapes the default pool, removed right after creation, and changing it replaces
            // the cluster (terraform-provider-google schemaNodeConfig: service_account is ForceNew): clusters
            // created before the fleet had a node account keep what they were created with.
            ignoreChanges: ["nodeConfig"],
        });
        this.cluster = cluster;
        this.clusterName = cluster.name;

        const nodePools: Record<string, gcp.container.NodePool> = {};
        // GKE leaves its GPU taint off GPU pools added while every other pool is a GPU pool (GKE docs, "Run GPUs in
        // GKE Standard node pools"; terraform-google-modules/terraform-google-kubernetes-engine#703): GPU pools are
        // made after the others.
        const poolKeys = Object.keys(spec.nodePools).sort((a, b) => Number(!!spec.nodePools[a].gpu) - Number(!!spec.nodePools[b].gpu));
        for (const poolKey of poolKeys) {
            const pool = spec.nodePools[poolKey];
            const settings = nodePoolSettings(poolKey, pool);
            const plainPools = pool.gpu ? poolKeys.filter(key => !spec.nodePools[key].gpu).map(key => nodePools[key]) : [];
            nodePools[poolKey] = new gcp.container.NodePool(`${name}-pool-${poolKey}`, {
                name: poolKey,
                cluster: cluster.name,
                location: spec.region,
                nodeLocations: settings.nodeLocations,
                initialNodeCount: settings.initialNodeCount,
                autoscaling: settings.autoscaling,
                management: { autoRepair: true, autoUpgrade: true },
                nodeConfig: {
                    machineType: pool.machineType,
                    diskSizeGb: pool.diskSizeGb,
                    labels: settings.labels,
                    taints: settings.taints,
                    guestAccelerators: settings.guestAccelerators,
                    workloadMetadataConfig: { mode: WORKLOAD_METADATA_MODE },
                    ...nodeConfigIdentity,
                },
            }, {
                parent: this, provider,
                dependsOn: [...nodeIdentity.grants, ...plainPools],
                // The autoscaler moves the node count, and a changed initial count would replace the pool.
                ignoreChanges: ["initialNodeCount"],
                // GKE refuses a second pool of the same name, so a change that replaces the pool (its service
                // account, for one) must delete the old pool first.
                deleteBeforeReplace: true,
            });
        }
        this.nodePools = nodePools;

        // Waiting for the pools means nothing is deployed through this kubeconfig before a node can run it.
        const poolIds = pulumi.all(Object.values(nodePools).map(pool => pool.id));
        this.kubeconfig = pulumi.secret(pulumi.all([cluster.name, cluster.endpoint, cluster.masterAuth, poolIds])
            .apply(([clusterName, endpoint, masterAuth]) => gkeKubeconfig({
                contextName: `gke_${spec.project}_${spec.region}_${clusterName}`,
                endpoint,
                caCertificate: masterAuth.clusterCaCertificate,
            })));
        this.kubeProvider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            // Only a different cluster replaces the provider (and so every Kubernetes resource on it).
            clusterIdentifier: cluster.id,
        }, { parent: this });

        this.bucketStore = new Buckets(`${name}-buckets`, {
            clusterKey: name, buckets: spec.buckets, location: spec.region, apis: apis.of("storage"),
        }, { parent: this, providers: [provider] });
        this.buckets = this.bucketStore.refs;

        this.homeStorage = new HomeStorage(`${name}-home`, {
            clusterKey: name, spec: spec.homeStorage, region: spec.region, zone: spec.zone, network: network.network,
            kubeProvider: this.kubeProvider, hubKeys: hubsWithHomes(args.hubs), apis,
        }, { parent: this, providers: [provider] });

        const hubIdentities: Record<string, HubIdentity> = {};
        for (const [hubKey, hub] of Object.entries(args.hubs)) {
            if (!hub.cloudAccess) continue;
            hubIdentities[hubKey] = new HubIdentity(`${name}-hub-${hubKey}`, {
                project: spec.project, clusterKey: name, hubKey, access: hub.cloudAccess,
                buckets: this.bucketStore.resources, cluster, apis: apis.of("iam", "iamcredentials", "cloudresourcemanager"),
            }, { parent: this, providers: [provider] });
        }
        this.hubIdentities = hubIdentities;
        if (spec.budget) {
            const channels = budgetChannels(name, spec.budget, { parent: this, provider, dependsOn: apis.of("monitoring") });
            new gcp.billing.Budget(`${name}-budget`, gcpBudgetArgs(name, spec.budget, channels.map(c => c.id)),
                { parent: this, provider, dependsOn: apis.of("billingbudgets") });
        }

        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            hubServiceAccounts: Object.fromEntries(Object.entries(hubIdentities).map(([hubKey, identity]) => [hubKey, identity.email])),
        });
    }

    homeVolume(hubKey: string): HomeVolume {
        this.hubSpec(hubKey); // refuses a hub of another cluster, whose homes are not here
        return this.homeStorage.homeVolume(hubKey);
    }

    hubAccess(hubKey: string): HubAccess {
        const env = bucketEnvVars(this.hubSpec(hubKey), this.buckets);
        const identity = this.hubIdentities[hubKey];
        if (!identity) {
            // Without a Google service account the GKE metadata server would still hand pods a federated
            // token for the pool's principal for this namespace: an identity nobody meant to give them.
            return baseHubAccess({ cloudMetadata: "block", env });
        }
        return baseHubAccess({
            serviceAccountAnnotations: { [GSA_ANNOTATION]: identity.email },
            identity: identity.email,
            env,
            // Workload Identity tokens come from the GKE metadata server at the metadata address.
            cloudMetadata: "allow",
            dependsOn: [...identity.grants],
            reachableBuckets: grantedBuckets(this.hubSpec(hubKey)),
        });
    }

    private hubSpec(hubKey: string): HubSpec {
        return hubOnCluster(this.clusterKey, this.hubs, hubKey);
    }
}

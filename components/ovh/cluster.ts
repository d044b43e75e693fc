/**
 * An OVHcloud cluster entry: managed Kubernetes on a private network, the cluster's S3 buckets, per-user
 * S3 access from `accessGroups`, and a retaining storage class for user homes.
 *
 * OVH has no workload identity, so users get static S3 keys: one OVH user per group member (and one for
 * the default group), each user's keys in a Secret of their own in each hub namespace that may admit them,
 * referenced from the user's pod by a spawn hook (see credentials.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as ovh from "@ovhcloud/pulumi-ovh";
import { bucketFullName, HubSpec, hubMembers, OvhClusterSpec } from "../config";
import { HOME_VOLUMES, retainingStorageClass } from "../homeStorageClass";
import { HomeDisks } from "./homeDisks";
import { baseHubAccess, BucketRef, bucketEnvVars, bucketUrls, HomeVolume, HubAccess, hubOnCluster, hubsWithHomes, Platform, PlatformArgs } from "../platform";
import { PLATFORM_FILES_MOUNT_PATH } from "../z2jhValues";
import { AccessGroups } from "./accessGroups";
import { reachableBucketKeys } from "./accessMatrix";
import { ACCESS_KEY_ID, FALLBACK_KEY, KEY_INDEX_FILE_NAME, keyIndexContent, keySecretName, s3KeysSpawnHook, SECRET_ACCESS_KEY } from "./credentials";
import { GpuOperator } from "./gpuOperator";
import { nodePoolTemplate, poolAvailabilityZones, subnetRange } from "./kubeSpec";
import { ObjectStorage, s3Endpoint } from "./objectStorage";
import { poolDesiredNodes } from "./poolSize";
import { AccessPrincipal, accessPrincipals } from "./s3Policies";

/** The storage class the cluster creates for user homes when config names none. */
export const HOME_STORAGE_CLASS = "jupyterhub-user-homes";

/** Key of the S3 spawn hook in `hub.extraConfig`; sorts after the spawn-hook runner. */
export const S3_KEYS_EXTRA_CONFIG_KEY = "50-ovh-s3-keys";

export class OvhCluster extends pulumi.ComponentResource implements Platform {
    public readonly clusterKey: string;
    public readonly providerName = "ovh" as const;
    public readonly isLocal = false;
    public readonly dedicatedNodePools = true;
    /** Cinder volumes of the project's default type, as OVH's own classes and the homes' class use. */
    public readonly volumeProvisioner = { provisioner: "cinder.csi.openstack.org", parameters: { fsType: "ext4" } };
    public readonly kubeProvider: k8s.Provider;
    /** Kubeconfig for operators (a secret). */
    public readonly kubeconfig: pulumi.Output<string>;
    /** OVH's name for the cluster. */
    public readonly clusterName: pulumi.Output<string>;
    /** The OVH region (e.g. GRA11). */
    public readonly region: string;
    /** The managed Kubernetes cluster. */
    public readonly kube: ovh.cloudproject.Kube;
    /** Node pools by config key. */
    public readonly nodePools: Readonly<Record<string, ovh.cloudproject.KubeNodePool>>;
    /** Buckets by config key; URLs are `s3://<name>`. */
    public readonly buckets: Readonly<Record<string, BucketRef>>;
    /** The S3 endpoint users and tools talk to. */
    public readonly s3Endpoint: string;
    /** OVH S3 region (e.g. gra): AWS_DEFAULT_REGION for users. */
    public readonly s3Region: string;
    /** The bucket operator user and the S3 provider. */
    public readonly objectStorage: ObjectStorage;
    /** Per-user S3 access; undefined when the cluster has no `accessGroups`. */
    public readonly accessGroups?: AccessGroups;
    /** Storage class for user homes: config's `storageClass`, or the retaining class created here. */
    public readonly homeStorageClass?: pulumi.Output<string>;
    /** nfs-server home storage: each hub's Cinder volume. */
    private readonly homeDisks?: HomeDisks;

    private readonly spec: OvhClusterSpec;
    /** The S3 principals of `accessGroups`, none without. */
    private readonly principals: readonly AccessPrincipal[];
    private readonly hubs: PlatformArgs<OvhClusterSpec>["hubs"];

    constructor(name: string, args: PlatformArgs<OvhClusterSpec>, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:ovh:Cluster", name, {}, opts);
        const cluster = args.cluster;
        this.spec = cluster;
        this.hubs = args.hubs;
        this.clusterKey = name;
        this.region = cluster.region;
        const serviceName = cluster.serviceName;

        // Nodes get private addresses on a vRack network of their own (the project needs a vRack: docs/ovh.md),
        // so node traffic (NFS, pod-to-pod) stays off the public interface. A replaced network or subnet replaces
        // the cluster on it, and a replaced cluster loses its etcd (every hub's objects, users' claims): Pulumi
        // refuses both while they are protected (OVH has no deletion protection of its own for either).
        const stateful: pulumi.CustomResourceOptions = { parent: this, protect: cluster.deletionProtection };
        const network = new ovh.cloudproject.NetworkPrivate(`${name}-network`, {
            serviceName, name, regions: [cluster.region], vlanId: cluster.network.vlanId,
        }, stateful);
        // Kube and Gateway take the OpenStack id of the network in the cluster's region, not the vRack id.
        const openstackNetworkId = network.regionsOpenstackIds.apply(ids => ids[cluster.region]);
        const range = subnetRange(cluster.network.cidr);
        const subnet = new ovh.cloudproject.NetworkPrivateSubnet(`${name}-subnet`, {
            serviceName,
            networkId: network.id,
            region: cluster.region,
            network: cluster.network.cidr,
            start: range.start,
            end: range.end,
            dhcp: true,
            // The subnet keeps a gateway IP for the Gateway below: MKS >= 1.32 exposes LoadBalancer services
            // (the hub's proxy-public) through Octavia, whose floating IP needs an OVH Gateway on the subnet
            // (OVH guide "Expose your applications using OVHcloud Public Cloud Load Balancer", Requirements).
            noGateway: false,
        }, stateful);
        // Stateless and replaceable: the load balancers' public addresses are floating IPs, not the gateway's.
        const gateway = new ovh.cloudproject.Gateway(`${name}-gateway`, {
            serviceName,
            name,
            // OVH's smallest managed gateway, the one its load balancer integration would create by itself.
            model: "s",
            region: cluster.region,
            networkId: openstackNetworkId,
            subnetId: subnet.id,
        }, { parent: this });

        this.kube = new ovh.cloudproject.Kube(`${name}-kube`, {
            serviceName,
            name,
            region: cluster.region,
            version: cluster.kubernetesVersion,
            updatePolicy: cluster.updatePolicy,
            privateNetworkId: openstackNetworkId,
            // Load balancers default to the nodes' subnet, the one with the gateway. No privateNetworkConfiguration:
            // nodes keep their public interface as default route (OVH's default), and setting it on an existing
            // cluster would redeploy it.
            nodesSubnetId: subnet.id,
            // The provider's own examples order the cluster after its gateway
            // (ovh/terraform-provider-ovh docs/resources/cloud_project_kube.md).
        }, { ...stateful, dependsOn: [gateway] });

        const pools: Record<string, ovh.cloudproject.KubeNodePool> = {};
        for (const [poolKey, pool] of Object.entries(cluster.nodePools)) {
            pools[poolKey] = new ovh.cloudproject.KubeNodePool(`${name}-pool-${poolKey}`, {
                serviceName,
                kubeId: this.kube.id,
                name: poolKey,
                flavorName: pool.machineType,
                autoscale: true,
                minNodes: pool.minNodes,
                maxNodes: pool.maxNodes,
                // The autoscaler's current count within the new bounds (poolSize.ts says why not ignoreChanges).
                desiredNodes: poolDesiredNodes(serviceName, this.kube.id, poolKey, pool, { parent: this }),
                availabilityZones: poolAvailabilityZones(cluster.region, pool),
                template: nodePoolTemplate(poolKey, pool),
            }, { parent: this });
        }
        this.nodePools = pools;
        this.kubeconfig = pulumi.secret(this.kube.kubeconfig);
        this.clusterName = this.kube.name;

        this.kubeProvider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            // The kubeconfig's credentials rotate; keying the provider on the cluster id keeps that from
            // replacing every Kubernetes resource.
            clusterIdentifier: this.kube.id,
            // Kubernetes resources wait for the node pools: the hub's pods have nowhere to run before them.
        }, { parent: this, dependsOn: Object.values(pools) });

        const gpuPoolKeys = Object.keys(cluster.nodePools).filter(poolKey => cluster.nodePools[poolKey].gpu);
        if (gpuPoolKeys.length > 0) {
            new GpuOperator(`${name}-gpu-operator`, { gpuPoolKeys, kubeProvider: this.kubeProvider }, { parent: this });
        }

        this.s3Endpoint = s3Endpoint(cluster.s3);
        this.s3Region = cluster.s3.region;
        this.objectStorage = new ObjectStorage(`${name}-storage`, {
            serviceName,
            region: cluster.s3.region,
            endpoint: this.s3Endpoint,
            buckets: Object.fromEntries(Object.entries(cluster.buckets).map(([key, bucket]) => [key, {
                name: bucketFullName(name, "ovh", key, bucket), deleteAfterDays: bucket.deleteAfterDays, adopt: bucket.import,
            }])),
        }, { parent: this });
        this.buckets = this.objectStorage.buckets;

        this.principals = cluster.accessGroups ? accessPrincipals(name, cluster) : [];
        if (cluster.accessGroups) {
            this.accessGroups = new AccessGroups(`${name}-access`, { serviceName, principals: this.principals }, { parent: this });
        }

        const home = cluster.homeStorage;
        if (home.type === "nfs-server") {
            this.homeDisks = new HomeDisks(`${name}-home-disks`, {
                clusterKey: name, serviceName, region: cluster.region, spec: home, hubKeys: hubsWithHomes(args.hubs),
            }, { parent: this });
        } else if (home.type === "dynamic" && home.storageClass) {
            this.homeStorageClass = retainingStorageClass(`${name}-homes`, home.storageClass, HOME_VOLUMES, { parent: this, provider: this.kubeProvider });
        } else {
            const storageClass = new k8s.storage.v1.StorageClass(`${name}-homes`, {
                metadata: { name: HOME_STORAGE_CLASS },
                provisioner: "cinder.csi.openstack.org",
                // OVH's csi-cinder-classic class deletes a user's volume with its claim; homes must survive
                // a deleted PVC or hub, so this class retains them.
                reclaimPolicy: "Retain",
                allowVolumeExpansion: true,
                // Bind where the user's pod lands, so volume and node share an availability zone.
                volumeBindingMode: "WaitForFirstConsumer",
                // No volume type: the project's default Cinder type, the one OVH's own classes use.
                parameters: { fsType: "ext4" },
            }, { parent: this, provider: this.kubeProvider, protect: true });
            this.homeStorageClass = storageClass.metadata.name;
        }

        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            clusterName: this.clusterName,
            s3Endpoint: this.s3Endpoint,
            buckets: bucketUrls(this.buckets),
            homeStorageClass: this.homeStorageClass,
        });
    }

    homeVolume(hubKey: string): HomeVolume {
        this.hubSpec(hubKey);
        if (this.homeDisks) return this.homeDisks.homeVolume(hubKey);
        return { kind: "dynamic", storageClass: this.homeStorageClass, capacity: dynamicHome(this.clusterKey, this.spec).size };
    }

    hubAccess(hubKey: string): HubAccess {
        const hub = this.hubSpec(hubKey);
        const env: Record<string, pulumi.Input<string>> = {
            AWS_ENDPOINT_URL_S3: this.s3Endpoint,
            AWS_DEFAULT_REGION: this.s3Region,
            // boto3 >= 1.36 adds CRC checksums to every request and checks them on responses; OVH's S3
            // does not implement them, so uploads fail unless checksums are only used where required.
            AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
            AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
            ...bucketEnvVars(hub, this.buckets),
        };
        // Only the keys of members this hub can admit, and the default group's: a hub never holds the keys of
        // users who log in elsewhere (config checks that its usernames are the members' GitHub logins).
        const members = hubMembers(hub, this.principals.flatMap(p => p.login === undefined ? [] : [p.login]));
        const served = this.principals.filter(p => p.login === undefined || members.includes(p.login));
        // Nothing on OVH needs the cloud metadata endpoint: there is no workload identity to fetch.
        const common = { env, cloudMetadata: "block" as const };
        if (!this.accessGroups || served.length === 0) {
            return baseHubAccess(common);
        }
        const keys = this.accessGroups.keys;
        return baseHubAccess({
            ...common,
            hubSecretFiles: [{
                fileName: KEY_INDEX_FILE_NAME,
                content: pulumi.secret(keyIndexContent(members, served.some(p => p.login === undefined))),
            }],
            userPodSecrets: served.map(p => ({
                name: keySecretName(p.login),
                data: { [ACCESS_KEY_ID]: keys[p.id].accessKeyId, [SECRET_ACCESS_KEY]: keys[p.id].secretAccessKey },
            })),
            userSecretEnv: { indexFile: KEY_INDEX_FILE_NAME, fallbackKey: FALLBACK_KEY, variables: [ACCESS_KEY_ID, SECRET_ACCESS_KEY] },
            hubExtraConfig: {
                [S3_KEYS_EXTRA_CONFIG_KEY]: s3KeysSpawnHook(this.clusterKey, `${PLATFORM_FILES_MOUNT_PATH}/${KEY_INDEX_FILE_NAME}`),
            },
            dependsOn: [this.accessGroups],
            // What the keys this hub serves can read; the fleet's operator user is never among them.
            reachableBuckets: reachableBucketKeys(this.clusterKey, this.spec, served.map(p => p.id)),
        });
    }

    private hubSpec(hubKey: string): HubSpec {
        return hubOnCluster(this.clusterKey, this.hubs, hubKey);
    }
}

/** The cluster's dynamic home storage (the config check allows `dynamic` and `nfs-server` on OVH). */
function dynamicHome(clusterKey: string, cluster: OvhClusterSpec): Extract<OvhClusterSpec["homeStorage"], { type: "dynamic" }> {
    const home = cluster.homeStorage;
    if (home.type !== "dynamic") {
        throw new Error(`clusters.${clusterKey}.homeStorage: ${home.type} has no storage class of user volumes`);
    }
    return home;
}

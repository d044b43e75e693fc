/**
 * Every rule of the policy pack, both ways: a resource shaped like the program's real inputs passes, the
 * same resource with one thing wrong fails with a message naming the resource and the fix. Plus the
 * evaluator the offline plan uses: enforcement levels and config per stack, as the engine resolves them.
 */
import * as assert from "assert";
import { ResourceFacts, platformOf, stackOf } from "../policies/rules/common";
import { rules } from "../policies/rules";
import { userPoolsScaleToZero } from "../policies/rules/cost";
import { iamNoWildcardGrants, irsaTrustPinned, workloadIdentityPinned } from "../policies/rules/iam";
import {
    bucketsKeepObjects, bucketsNoPublicGrants, efsEncrypted, gcsBucketsPrivate, homeVolumesRetained, s3BucketsPrivateAndEncrypted,
    storageProtected,
} from "../policies/rules/storage";
import {
    NETWORK_POLICY_PATHS, gkeMetadataConcealed, z2jhAuthRestricted, z2jhChartPinned, z2jhCloudMetadata, z2jhCullerOn, z2jhHttps,
    z2jhNetworkPolicy,
} from "../policies/rules/z2jh";
import { PackConfig, PlannedResource, configOf, enforcementLevelOf, evaluatePolicies } from "../policies/evaluate";
import { deepMerge } from "../components/util";

const STACK = "staging";

function resource(type: string, name: string, props: Record<string, any>, extra: Partial<ResourceFacts> = {}): ResourceFacts {
    return { type, name, urn: `urn:pulumi:${STACK}::jupyterhub-fleet::${type}::${name}`, props, protect: false, ...extra };
}

/** Asserts one message that names the resource and contains the fix. */
function assertViolation(messages: string[], name: string, fix: string | RegExp): void {
    assert.strictEqual(messages.length, 1, `expected one violation, got: ${JSON.stringify(messages)}`);
    assert.ok(messages[0].includes(`"${name}"`), `message does not name ${name}: ${messages[0]}`);
    assert.ok(typeof fix === "string" ? messages[0].includes(fix) : fix.test(messages[0]), `message lacks the fix ${fix}: ${messages[0]}`);
}

const ISSUER = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
function trustPolicy(condition: Record<string, unknown>): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow", Action: "sts:AssumeRoleWithWebIdentity",
            Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${ISSUER}` }, Condition: condition,
        }],
    });
}
const PINNED = { StringEquals: { [`${ISSUER}:sub`]: "system:serviceaccount:staging:user-sa", [`${ISSUER}:aud`]: "sts.amazonaws.com" } };

const RELEASE = "kubernetes:helm.sh/v3:Release";
const HUB_VALUES = {
    hub: { networkPolicy: { enabled: true }, config: {
        JupyterHub: { authenticator_class: "github" },
        Authenticator: { admin_users: ["alice"], allow_all: false },
        GitHubOAuthenticator: { client_id: "Iv1.abc", oauth_callback_url: "https://staging.hub.example.org/hub/oauth_callback" },
    } },
    proxy: {
        https: { enabled: true, type: "letsencrypt", hosts: ["staging.hub.example.org"] },
        chp: { networkPolicy: { enabled: true } }, traefik: { networkPolicy: { enabled: true } },
    },
    singleuser: {
        networkPolicy: { enabled: true, egressAllowRules: { cloudMetadataServer: false } },
        cloudMetadata: { blockWithIptables: true },
    },
    cull: { enabled: true, timeout: 3600, every: 300 },
};
const AWS_K8S_PROVIDER = { urn: `urn:pulumi:${STACK}::jupyterhub-fleet::jupyterhub:aws:Cluster$pulumi:providers:kubernetes::stg-k8s`, props: {} };
const GKE_K8S_PROVIDER = { urn: `urn:pulumi:${STACK}::jupyterhub-fleet::jupyterhub:gcp:Cluster$pulumi:providers:kubernetes::exr-k8s`, props: {} };

function release(values: unknown = {}, extra: Partial<ResourceFacts> = {}, props: Record<string, unknown> = {}): ResourceFacts {
    return resource(RELEASE, "staging-release", {
        name: "staging", chart: "jupyterhub", version: "4.4.2", repositoryOpts: { repo: "https://hub.jupyter.org/helm-chart/" },
        values: deepMerge(HUB_VALUES, values), ...props,
    }, { provider: AWS_K8S_PROVIDER, ...extra });
}
const AUTH_DEFAULTS = { localStacks: ["local"], allowAllHubs: [], publicHubs: [] };

describe("policy rules", () => {
    describe("storage-protected", () => {
        for (const [type, name] of [
            ["aws:s3/bucket:Bucket", "stg-buckets-scratch"], ["gcp:storage/bucket:Bucket", "exr-buckets-scratch"],
            ["aws:efs/fileSystem:FileSystem", "stg-homes-fs"], ["gcp:filestore/instance:Instance", "exr-home-filestore"],
            ["kubernetes:core/v1:PersistentVolume", "staging-home"],
        ]) {
            it(`requires protect on ${type}`, () => {
                assert.deepStrictEqual(storageProtected.check(resource(type, name, {}, { protect: true }), {}), []);
                assertViolation(storageProtected.check(resource(type, name, {}), {}), name, "{ protect: true }");
            });
        }
        it("leaves other types alone", () => {
            assert.deepStrictEqual(storageProtected.check(resource("kubernetes:core/v1:Namespace", "staging-namespace", {}), {}), []);
        });
    });

    it("buckets-keep-objects: forceDestroy stays false", () => {
        const bucket = (forceDestroy: boolean) => resource("aws:s3/bucket:Bucket", "stg-buckets-scratch", { bucket: "stg-scratch", forceDestroy });
        assert.deepStrictEqual(bucketsKeepObjects.check(bucket(false), {}), []);
        assertViolation(bucketsKeepObjects.check(bucket(true), {}), "stg-buckets-scratch", "set forceDestroy: false");
        assertViolation(bucketsKeepObjects.check(resource("gcp:storage/bucket:Bucket", "exr-scratch", { forceDestroy: true }), {}),
            "exr-scratch", "forceDestroy: false");
    });

    it("home-volumes-retained: PVs and storage classes retain", () => {
        const pv = (policy?: string) => resource("kubernetes:core/v1:PersistentVolume", "staging-home",
            { spec: { persistentVolumeReclaimPolicy: policy } });
        assert.deepStrictEqual(homeVolumesRetained.check(pv("Retain"), {}), []);
        assert.deepStrictEqual(homeVolumesRetained.check(pv(undefined), {}), [], "a hand-made PV defaults to Retain");
        assertViolation(homeVolumesRetained.check(pv("Delete"), {}), "staging-home", "persistentVolumeReclaimPolicy: \"Retain\"");
        const storageClass = (reclaimPolicy?: string) => resource("kubernetes:storage.k8s.io/v1:StorageClass", "gfts-homes",
            { provisioner: "cinder.csi.openstack.org", reclaimPolicy });
        assert.deepStrictEqual(homeVolumesRetained.check(storageClass("Retain"), {}), []);
        assertViolation(homeVolumesRetained.check(storageClass(undefined), {}), "gfts-homes", "reclaimPolicy: \"Retain\"");
    });

    it("efs-encrypted", () => {
        const fs = (encrypted?: boolean) => resource("aws:efs/fileSystem:FileSystem", "stg-homes-fs", { encrypted });
        assert.deepStrictEqual(efsEncrypted.check(fs(true), {}), []);
        assertViolation(efsEncrypted.check(fs(undefined), {}), "stg-homes-fs", "set encrypted: true");
    });

    it("gcs-buckets-private: public access prevention enforced and uniform access", () => {
        const bucket = (props: Record<string, unknown>) => resource("gcp:storage/bucket:Bucket", "exr-buckets-scratch",
            { name: "exr-scratch", uniformBucketLevelAccess: true, publicAccessPrevention: "enforced", ...props });
        assert.deepStrictEqual(gcsBucketsPrivate.check(bucket({}), {}), []);
        assertViolation(gcsBucketsPrivate.check(bucket({ publicAccessPrevention: "inherited" }), {}), "exr-buckets-scratch",
            "publicAccessPrevention: \"enforced\"");
        assertViolation(gcsBucketsPrivate.check(bucket({ uniformBucketLevelAccess: false }), {}), "exr-buckets-scratch",
            "uniformBucketLevelAccess: true");
    });

    describe("buckets-no-public-grants", () => {
        it("refuses public canned ACLs and AllUsers grants on S3 and OVH buckets", () => {
            assert.deepStrictEqual(bucketsNoPublicGrants.check(resource("aws:s3/bucket:Bucket", "gfts-buckets-vliz", { bucket: "gfts-vliz" }), {}), []);
            assert.deepStrictEqual(bucketsNoPublicGrants.check(resource("aws:s3/bucketAcl:BucketAcl", "gfts-acl", { acl: "private" }), {}), []);
            assertViolation(bucketsNoPublicGrants.check(resource("aws:s3/bucketAcl:BucketAcl", "gfts-acl", { acl: "public-read" }), {}),
                "gfts-acl", "remove the acl");
            const grant = { grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ" };
            assertViolation(bucketsNoPublicGrants.check(resource("aws:s3/bucketAcl:BucketAcl", "gfts-acl",
                { accessControlPolicy: { grants: [grant], owner: { id: "x" } } }), {}), "gfts-acl", "remove that grant");
        });
        it("refuses bucket policies that allow Principal * without a condition", () => {
            const policy = (principal: unknown, condition?: unknown) => resource("aws:s3/bucketPolicy:BucketPolicy", "stg-buckets-scratch-policy", {
                bucket: "stg-scratch",
                policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Read", Effect: "Allow", Principal: principal,
                    Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::stg-scratch/*"], ...(condition ? { Condition: condition } : {}) }] }),
            });
            assert.deepStrictEqual(bucketsNoPublicGrants.check(policy({ AWS: ["arn:aws:iam::123456789012:role/stg-hub-staging"] }), {}), []);
            assert.deepStrictEqual(bucketsNoPublicGrants.check(policy("*", { StringEquals: { "aws:PrincipalAccount": "123456789012" } }), {}), []);
            assertViolation(bucketsNoPublicGrants.check(policy("*"), {}), "stg-buckets-scratch-policy", "name the hub roles as principals");
            assertViolation(bucketsNoPublicGrants.check(policy({ AWS: "*" }), {}), "stg-buckets-scratch-policy", "Principal \"*\"");
        });
        it("refuses allUsers on GCS", () => {
            const member = (m: string) => resource("gcp:storage/bucketIAMMember:BucketIAMMember", "exr-hub-bucket-scratch",
                { bucket: "exr-scratch", role: "roles/storage.objectViewer", member: m });
            assert.deepStrictEqual(bucketsNoPublicGrants.check(member("serviceAccount:exr-climate@p.iam.gserviceaccount.com"), {}), []);
            assertViolation(bucketsNoPublicGrants.check(member("allUsers"), {}), "exr-hub-bucket-scratch", "grant it to hub service accounts");
        });
    });

    describe("s3-buckets-private-and-encrypted", () => {
        const bucket = resource("aws:s3/bucket:Bucket", "stg-buckets-scratch", { bucket: "stg-scratch", forceDestroy: false });
        const block = (flags: Record<string, boolean> = {}) => resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "stg-buckets-scratch-public-access", { bucket: "stg-scratch", blockPublicAcls: true, blockPublicPolicy: true,
                ignorePublicAcls: true, restrictPublicBuckets: true, ...flags });
        const encryption = resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "stg-buckets-scratch-encryption", { bucket: "stg-scratch", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });

        it("passes a bucket with both, matched by name or by the engine's dependencies", () => {
            assert.deepStrictEqual(s3BucketsPrivateAndEncrypted.check([bucket, block(), encryption], {}), []);
            const unknownName = { ...bucket.props, bucket: undefined };
            const dependent = (r: ResourceFacts) => ({ ...r, props: { ...r.props, bucket: undefined }, propertyDependencies: { bucket: [bucket.urn] } });
            assert.deepStrictEqual(s3BucketsPrivateAndEncrypted.check([{ ...bucket, props: unknownName }, dependent(block()), dependent(encryption)], {}), []);
        });
        it("reports a missing block, a block with a flag off, and missing encryption, at the resource to fix", () => {
            const missing = s3BucketsPrivateAndEncrypted.check([bucket], {});
            assert.deepStrictEqual(missing.map(p => p.urn), [bucket.urn, bucket.urn]);
            assertViolation([missing[0].message], "stg-buckets-scratch", "add an aws.s3.BucketPublicAccessBlock");
            assertViolation([missing[1].message], "stg-buckets-scratch", "add an aws.s3.BucketServerSideEncryptionConfiguration");
            const partial = s3BucketsPrivateAndEncrypted.check([bucket, block({ restrictPublicBuckets: false }), encryption], {});
            assert.deepStrictEqual(partial.map(p => p.urn), [block().urn]);
            assertViolation([partial[0].message], "stg-buckets-scratch-public-access", "set restrictPublicBuckets: true");
        });
        it("leaves S3-compatible buckets behind a custom endpoint (OVH) alone", () => {
            const ovh = { ...bucket, provider: { urn: "urn:pulumi:prod::jupyterhub-fleet::jupyterhub:ovh:Cluster$pulumi:providers:aws::gfts-s3",
                props: { endpoints: JSON.stringify([{ s3: "https://s3.gra.io.cloud.ovh.net" }]) } } };
            assert.deepStrictEqual(s3BucketsPrivateAndEncrypted.check([ovh], {}), []);
        });
    });

    describe("irsa-trust-pinned", () => {
        const role = (policy: string) => resource("aws:iam/role:Role", "stg-hub-staging-role", { assumeRolePolicy: policy });
        it("passes a trust policy pinning sub and aud, and ignores service trust", () => {
            assert.deepStrictEqual(irsaTrustPinned.check(role(trustPolicy(PINNED)), {}), []);
            const ec2 = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "ec2.amazonaws.com" } }] });
            assert.deepStrictEqual(irsaTrustPinned.check(role(ec2), {}), []);
        });
        it("refuses a missing aud, a wildcard sub, StringLike, and several subjects", () => {
            assertViolation(irsaTrustPinned.check(role(trustPolicy({ StringEquals: { [`${ISSUER}:sub`]: "system:serviceaccount:staging:user-sa" } })), {}),
                "stg-hub-staging-role", "\"<issuer>:aud\": \"sts.amazonaws.com\"");
            assertViolation(irsaTrustPinned.check(role(trustPolicy({ StringEquals: { ...PINNED.StringEquals, [`${ISSUER}:sub`]: "system:serviceaccount:staging:*" } })), {}),
                "stg-hub-staging-role", "without wildcards");
            const like = irsaTrustPinned.check(role(trustPolicy({
                StringEquals: { [`${ISSUER}:aud`]: "sts.amazonaws.com" }, StringLike: { [`${ISSUER}:sub`]: "system:serviceaccount:*:user-sa" },
            })), {});
            assert.strictEqual(like.length, 2);
            assert.ok(like[0].includes("use StringEquals") && like[1].includes("system:serviceaccount:<namespace>:user-sa"), like.join("\n"));
            assertViolation(irsaTrustPinned.check(role(trustPolicy({ StringEquals: { ...PINNED.StringEquals,
                [`${ISSUER}:sub`]: ["system:serviceaccount:a:user-sa", "system:serviceaccount:b:user-sa"] } })), {}),
            "stg-hub-staging-role", "give each hub its own role");
        });
    });

    it("workload-identity-pinned: one namespace/serviceaccount per member", () => {
        const member = (m: string) => resource("gcp:serviceaccount/iAMMember:IAMMember", "exr-hub-climate-workload-identity",
            { serviceAccountId: "projects/p/serviceAccounts/x", role: "roles/iam.workloadIdentityUser", member: m });
        assert.deepStrictEqual(workloadIdentityPinned.check(member("serviceAccount:example-project.svc.id.goog[climate/user-sa]"), {}), []);
        assertViolation(workloadIdentityPinned.check(member("principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/example-project.svc.id.goog/namespace/climate"), {}),
            "exr-hub-climate-workload-identity", "serviceAccount:<project>.svc.id.goog[<namespace>/user-sa]");
        assertViolation(workloadIdentityPinned.check(member("serviceAccount:example-project.svc.id.goog[climate/*]"), {}),
            "exr-hub-climate-workload-identity", "name one Kubernetes service account");
        const binding = resource("gcp:serviceaccount/iAMBinding:IAMBinding", "exr-binding", { role: "roles/iam.workloadIdentityUser",
            members: ["serviceAccount:p1.svc.id.goog[a/user-sa]", "serviceAccount:p1.svc.id.goog[b/user-sa]"] });
        assertViolation(workloadIdentityPinned.check(binding, {}), "exr-binding", "use one IAMMember per hub");
    });

    describe("iam-no-wildcard-grants", () => {
        const document = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Grant", Effect: "Allow", ...statement }] });
        it("allows named actions, and s3:* on named buckets (bucket admin access)", () => {
            const admin = resource("ovh:CloudProject/s3Policy:S3Policy", "gfts-access-admins-minrk",
                { policy: document({ Action: ["s3:*"], Resource: ["arn:aws:s3:::gfts-vliz", "arn:aws:s3:::gfts-vliz/*"] }) });
            assert.deepStrictEqual(iamNoWildcardGrants.check(admin, {}), []);
            const deny = resource("ovh:CloudProject/s3Policy:S3Policy", "gfts-access-vliz-x",
                { policy: JSON.stringify({ Statement: [{ Effect: "Deny", Action: ["s3:*"], Resource: ["arn:aws:s3:::*"] }] }) });
            assert.deepStrictEqual(iamNoWildcardGrants.check(deny, {}), []);
        });
        for (const [type, props] of [
            ["aws:iam/rolePolicy:RolePolicy", { policy: document({ Action: "*", Resource: "arn:aws:s3:::stg-scratch" }) }],
            ["aws:iam/policy:Policy", { policy: document({ Action: ["s3:*"], Resource: "*" }) }],
            ["aws:s3/bucketPolicy:BucketPolicy", { policy: document({ NotAction: "iam:*", Resource: "*" }) }],
            ["aws:iam/role:Role", { assumeRolePolicy: trustPolicy(PINNED), inlinePolicies: [{ name: "x", policy: document({ Action: "ec2:*", Resource: ["*"] }) }] }],
            ["ovh:CloudProject/s3Policy:S3Policy", { policy: document({ Action: "s3:*", Resource: "*" }) }],
        ] as const) {
            it(`refuses wildcard grants in ${type}`, () => {
                assertViolation(iamNoWildcardGrants.check(resource(type, "grant", props), {}), "grant", /list the actions it needs|name the buckets/);
            });
        }
    });

    describe("z2jh releases", () => {
        it("pass with the fleet's defaults", () => {
            for (const rule of [z2jhChartPinned, z2jhCullerOn, z2jhHttps, z2jhCloudMetadata]) {
                assert.deepStrictEqual(rule.check(release(), {}), [], rule.name);
            }
            assert.deepStrictEqual(z2jhAuthRestricted.check(release(), AUTH_DEFAULTS), []);
            assert.deepStrictEqual(z2jhNetworkPolicy.check(release(), { allowHubs: [] }), []);
        });
        it("z2jh-chart-pinned: an exact version", () => {
            assertViolation(z2jhChartPinned.check(release({}, {}, { version: "^4.0.0" }), {}), "staging-release", "exact version such as 4.4.2");
            assertViolation(z2jhChartPinned.check(release({}, {}, { version: undefined }), {}), "staging-release", "set chartVersion");
        });
        it("z2jh-network-policy: the hub's, both proxies' and the user servers' policies, each explicitly on", () => {
            const none = { allowHubs: [] };
            for (const path of NETWORK_POLICY_PATHS) {
                const off = release(path.split(".").reduceRight<unknown>((inner, key) => ({ [key]: inner }), false));
                assertViolation(z2jhNetworkPolicy.check(off, none), "staging-release", `${path} (false)`);
                assert.ok(z2jhNetworkPolicy.check(off, none)[0].includes("remove the override from hubs.staging.values"));
                assert.deepStrictEqual(z2jhNetworkPolicy.check(off, { allowHubs: ["staging"] }), [], path);
            }
            const unset = resource(RELEASE, "bare-release", { name: "bare", chart: "jupyterhub", version: "4.4.2", values: {} });
            assertViolation(z2jhNetworkPolicy.check(unset, none), "bare-release", "hub.networkPolicy.enabled (unset)");
            assert.ok(z2jhNetworkPolicy.check(unset, none)[0].includes('add "bare" to allowHubs of z2jh-network-policy in policies/config/staging.json'));
        });
        it("z2jh-culler-on", () => {
            assertViolation(z2jhCullerOn.check(release({ cull: { enabled: false } }), {}), "staging-release", "remove cull.enabled: false");
        });
        it("z2jh-auth-restricted: no dummy and no allow_all outside local stacks, unless the hub is listed", () => {
            const dummy = release({ hub: { config: { JupyterHub: { authenticator_class: "dummy" } } } });
            assertViolation(z2jhAuthRestricted.check(dummy, AUTH_DEFAULTS), "staging-release", "set auth.type to github, oidc, cilogon or shared-password");
            const local = { ...dummy, urn: dummy.urn.replace(`:${STACK}::`, ":local::") };
            assert.deepStrictEqual(z2jhAuthRestricted.check(local, AUTH_DEFAULTS), []);
            const open = release({ hub: { config: { Authenticator: { allow_all: true } } } });
            assertViolation(z2jhAuthRestricted.check(open, AUTH_DEFAULTS), "staging-release", "add \"staging\" to allowAllHubs");
            assert.deepStrictEqual(z2jhAuthRestricted.check(open, { ...AUTH_DEFAULTS, allowAllHubs: ["staging"] }), []);
        });
        it("z2jh-https: a hub with a domain serves https", () => {
            assertViolation(z2jhHttps.check(release({ proxy: { https: { enabled: false } } }), {}), "staging-release", "without https");
            const plainCallback = release({ hub: { config: { GitHubOAuthenticator: { oauth_callback_url: "http://staging.hub.example.org/hub/oauth_callback" } } } });
            assertViolation(z2jhHttps.check(plainCallback, {}), "staging-release", "use an https oauth_callback_url");
            const ingress = release({ proxy: { https: { enabled: false } }, ingress: { enabled: true, hosts: ["staging.hub.example.org"], tls: [{ secretName: "t" }] } });
            assert.deepStrictEqual(z2jhHttps.check(ingress, {}), []);
            const noDomain = resource(RELEASE, "local-release", { name: "local", chart: "jupyterhub", version: "4.4.2",
                values: { hub: { config: { JupyterHub: { authenticator_class: "dummy" } } } } });
            assert.deepStrictEqual(z2jhHttps.check(noDomain, {}), []);
        });
        it("z2jh-cloud-metadata: reachable only from GKE clusters", () => {
            const open = { singleuser: { cloudMetadata: { blockWithIptables: false }, networkPolicy: { egressAllowRules: { cloudMetadataServer: true } } } };
            assert.deepStrictEqual(z2jhCloudMetadata.check(release(open, { provider: GKE_K8S_PROVIDER }), {}), []);
            assertViolation(z2jhCloudMetadata.check(release(open), {}), "staging-release", "blockWithIptables: true");
            assert.ok(z2jhCloudMetadata.check(release(open, { provider: undefined }), {})[0].includes("cannot place on GKE"));
            const blockedByPolicy = { singleuser: { cloudMetadata: { blockWithIptables: false } } };
            const kubernetes = { urn: AWS_K8S_PROVIDER.urn.replace("jupyterhub:aws:Cluster", "jupyterhub:kubernetes:Cluster"), props: {} };
            assert.deepStrictEqual(z2jhCloudMetadata.check(release(blockedByPolicy, { provider: kubernetes }), {}), [],
                "the network policy still blocks it (OpenShift's mode)");
            assertViolation(z2jhCloudMetadata.check(release(blockedByPolicy), {}), "staging-release",
                "turns off the iptables block of the metadata endpoint on an aws cluster");
        });
        it("ignores other charts", () => {
            const other = resource(RELEASE, "dask-gateway", { chart: "dask-gateway", values: { cull: { enabled: false } } });
            assert.deepStrictEqual([...z2jhCullerOn.check(other, {}), ...z2jhChartPinned.check(other, {})], []);
        });
    });

    it("gke-metadata-concealed: node pools use the GKE metadata server", () => {
        const pool = (mode?: string) => resource("gcp:container/nodePool:NodePool", "exr-pool-user",
            { nodeConfig: { workloadMetadataConfig: mode ? { mode } : undefined } });
        assert.deepStrictEqual(gkeMetadataConcealed.check(pool("GKE_METADATA"), {}), []);
        assertViolation(gkeMetadataConcealed.check(pool(), {}), "exr-pool-user", "workloadMetadataConfig.mode: \"GKE_METADATA\"");
    });

    describe("user-pools-scale-to-zero", () => {
        it("EKS, GKE and OVH user pools at minimum 0 pass; core pools are not judged", () => {
            const eks = (minSize: number, purpose: string) => resource("aws:eks/nodeGroup:NodeGroup", `stg-pool-${purpose}`,
                { labels: { "hub.jupyter.org/node-purpose": purpose }, scalingConfig: { minSize, maxSize: 5, desiredSize: minSize } });
            assert.deepStrictEqual(userPoolsScaleToZero.check(eks(0, "user"), {}), []);
            assert.deepStrictEqual(userPoolsScaleToZero.check(eks(1, "core"), {}), []);
            assertViolation(userPoolsScaleToZero.check(eks(2, "user"), {}), "stg-pool-user", "set minNodes: 0");
        });
        it("recognises user pools by taint too, and fixed-size pools", () => {
            const gke = (autoscaling?: Record<string, number>) => resource("gcp:container/nodePool:NodePool", "exr-pool-user", {
                nodeConfig: { taints: [{ key: "hub.jupyter.org_dedicated", value: "user", effect: "NO_SCHEDULE" }] }, autoscaling,
            });
            assert.deepStrictEqual(userPoolsScaleToZero.check(gke({ minNodeCount: 0, maxNodeCount: 10 }), {}), []);
            assertViolation(userPoolsScaleToZero.check(gke({ minNodeCount: 1, maxNodeCount: 10 }), {}), "exr-pool-user", "minNodes: 0");
            assertViolation(userPoolsScaleToZero.check(gke(undefined), {}), "exr-pool-user", "enable autoscaling");
            const ovh = resource("ovh:CloudProject/kubeNodePool:KubeNodePool", "gfts-pool-user",
                { autoscale: true, minNodes: 1, template: { metadata: { labels: { "hub.jupyter.org/node-purpose": "user" } } } });
            assertViolation(userPoolsScaleToZero.check(ovh, {}), "gfts-pool-user", "minNodes: 0");
        });
    });

    it("URN helpers read the stack and the platform", () => {
        assert.strictEqual(stackOf(AWS_K8S_PROVIDER.urn), STACK);
        assert.strictEqual(platformOf(GKE_K8S_PROVIDER.urn), "gcp");
        assert.strictEqual(platformOf(`urn:pulumi:s::p::jupyterhub:hub:Hub$kubernetes:helm.sh/v3:Release::r`), undefined);
    });

    it("every rule has a unique name, a description and an enforcement level", () => {
        assert.strictEqual(new Set(rules.map(r => r.name)).size, rules.length);
        for (const rule of rules) assert.ok(rule.description && rule.enforcementLevel, rule.name);
    });
});

describe("policy evaluation (offline plan)", () => {
    const planned = (facts: ResourceFacts): PlannedResource => ({
        urn: facts.urn, type: facts.type, name: facts.name, inputs: facts.props, outputs: facts.props, protect: facts.protect,
        ignoreChanges: [], provider: facts.provider ? { ...facts.provider, type: "pulumi:providers:kubernetes", name: "k8s" } : undefined,
    });
    const openHub = release({ hub: { config: { Authenticator: { allow_all: true } } } });
    const userPool = resource("aws:eks/nodeGroup:NodeGroup", "stg-pool-user",
        { labels: { "hub.jupyter.org/node-purpose": "user" }, scalingConfig: { minSize: 1, maxSize: 5 } });
    const bucket = resource("aws:s3/bucket:Bucket", "stg-buckets-scratch", { bucket: "stg-scratch" });

    it("resolves levels: the policy's entry, then all, then the policy's own, then the pack's", () => {
        assert.strictEqual(enforcementLevelOf(z2jhCullerOn, {}, "advisory"), "mandatory");
        assert.strictEqual(enforcementLevelOf(z2jhCullerOn, { all: "advisory" }, "mandatory"), "advisory");
        assert.strictEqual(enforcementLevelOf(userPoolsScaleToZero, { all: "mandatory", "user-pools-scale-to-zero": "disabled" }, "mandatory"), "disabled");
        assert.strictEqual(enforcementLevelOf(z2jhAuthRestricted, { "z2jh-auth-restricted": { enforcementLevel: "advisory" } }, "mandatory"), "advisory");
    });

    it("fills config from the schema's defaults", () => {
        assert.deepStrictEqual(configOf(z2jhAuthRestricted, {}), AUTH_DEFAULTS);
        assert.deepStrictEqual(configOf(z2jhAuthRestricted, { "z2jh-auth-restricted": { enforcementLevel: "advisory", allowAllHubs: ["x"] } }),
            { localStacks: ["local"], allowAllHubs: ["x"], publicHubs: [] });
    });

    it("runs resource and stack rules with the stack's policy config: prod is stricter than staging", async () => {
        const resources = [planned(openHub), planned(userPool), planned({ ...bucket, protect: true })];
        const load = (stack: string) => require(`../policies/config/${stack}.json`) as PackConfig;
        const summary = (violations: { policy: string; enforcementLevel: string }[]) => violations.map(v => `${v.policy}:${v.enforcementLevel}`);
        assert.deepStrictEqual(summary(await evaluatePolicies(rules, resources, load("staging"))), [
            "s3-buckets-private-and-encrypted:mandatory", "s3-buckets-private-and-encrypted:mandatory",
            "z2jh-auth-restricted:mandatory", "user-pools-scale-to-zero:advisory",
        ]);
        assert.deepStrictEqual(summary(await evaluatePolicies(rules, resources, load("prod"))), [
            "s3-buckets-private-and-encrypted:mandatory", "s3-buckets-private-and-encrypted:mandatory", "z2jh-auth-restricted:mandatory",
        ]);
    });

    it("reports resource violations at the resource's URN and stack violations where the rule points", async () => {
        const violations = await evaluatePolicies(rules, [planned(bucket)], {});
        assert.deepStrictEqual(violations.map(v => [v.policy, v.urn]), [
            ["storage-protected", bucket.urn],
            ["s3-buckets-private-and-encrypted", bucket.urn], ["s3-buckets-private-and-encrypted", bucket.urn],
        ]);
    });
});

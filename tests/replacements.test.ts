/**
 * scripts/replacements.json, the plan's knowledge of which input changes replace a resource, is what the
 * installed SDKs' docs say for every resource type the components create: regenerate it and compare.
 */
import * as assert from "assert";
import * as fs from "fs";
import { TABLE_FILE, buildTable, renderTable, usedClasses } from "../scripts/replacementTable";

describe("replacement table (scripts/replacements.json)", () => {
    it("matches the installed SDKs and every resource type the components create", () => {
        const committed = fs.readFileSync(TABLE_FILE, "utf8");
        assert.ok(committed === renderTable(buildTable()),
            "scripts/replacements.json is out of date: run `npx ts-node -T scripts/replacementTable.ts` and commit the result");
    });

    it("knows what the OVH docs say replaces the network, the cluster and a pool", () => {
        const { types } = buildTable([
            { packageName: "@ovhcloud/pulumi-ovh", path: ["cloudproject", "NetworkPrivate"] },
            { packageName: "@ovhcloud/pulumi-ovh", path: ["cloudproject", "Kube"] },
            { packageName: "@ovhcloud/pulumi-ovh", path: ["cloudproject", "KubeNodePool"] },
        ]);
        assert.deepStrictEqual(types["ovh:CloudProject/networkPrivate:NetworkPrivate"].replace, ["serviceName", "vlanId"]);
        assert.ok(types["ovh:CloudProject/kube:Kube"].replace.includes("privateNetworkId"));
        assert.ok(!types["ovh:CloudProject/kube:Kube"].replace.includes("version"), "\"Changing this value updates the resource\"");
        assert.ok(types["ovh:CloudProject/kubeNodePool:KubeNodePool"].replace.includes("flavorName"));
        assert.ok(!types["ovh:CloudProject/kubeNodePool:KubeNodePool"].replace.includes("maxNodes"));
    });

    it("reads nested input types and ignores docs that say an update happens in place", () => {
        const { types } = buildTable([
            { packageName: "@pulumi/aws", path: ["eks", "Cluster"] },
            { packageName: "@pulumi/gcp", path: ["serviceaccount", "Account"] },
        ]);
        assert.ok(types["aws:eks/cluster:Cluster"].replace.includes("vpcConfig.controlPlaneEgressMode"));
        // "Can be updated without creating a new resource."
        assert.ok(!types["gcp:serviceaccount/account:Account"].replace.includes("displayName"));
    });

    it("finds the classes a component creates through its package alias", () => {
        const source = 'import * as ovh from "@ovhcloud/pulumi-ovh";\nimport * as pulumi from "@pulumi/pulumi";\n' +
            'new ovh.cloudproject.Kube(`${name}-kube`, {});\nnew pulumi.ComponentResource("t", "n");\nnew Map();\n';
        assert.deepStrictEqual(usedClasses([source]), [{ packageName: "@ovhcloud/pulumi-ovh", path: ["cloudproject", "Kube"] }]);
    });

    it("gives every Kubernetes kind the provider's rules: name and namespace, and its kind's own fields", () => {
        const { types } = buildTable([
            { packageName: "@pulumi/kubernetes", path: ["batch", "v1", "CronJob"] },
            { packageName: "@pulumi/kubernetes", path: ["core", "v1", "ConfigMap"] },
        ]);
        assert.deepStrictEqual(types["kubernetes:batch/v1:CronJob"], { replace: ["metadata.name", "metadata.namespace"] });
        assert.deepStrictEqual(types["kubernetes:core/v1:ConfigMap"].replace, ["binaryData", "data", "metadata.name", "metadata.namespace"]);
    });
});

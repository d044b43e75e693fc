/**
 * The models of what the engine and the providers do beyond the mocks (scripts/engineModel/, the
 * `empty-cluster-preview` mock mode), checked against the behaviours they were written from; and every
 * example stack run through them.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { stringify as toYaml } from "yaml";
import { checkRelease, plaintextSecrets, stripSecrets } from "../scripts/engineModel/helmRelease";
import { settledValueOf, useMocks } from "./harness";

const SIG = pulumi.runtime.specialSigKey;
const secret = (value: unknown) => ({ [SIG]: pulumi.runtime.specialSecretSig, value });
const stringAsset = (text: string) => ({ [SIG]: "c44067f5952c0a294b673a41bacd8c17", text });

describe("model: helm Release Check (pulumi-kubernetes helm_release.go)", () => {
    it("writes a values file's secrets into the state in plain text: the fleet's former delivery leaked them", () => {
        // What the Hub sent before: public values inline, every secret in one secret values file.
        const formerDelivery = {
            chart: "jupyterhub",
            values: { hub: { config: { GitHubOAuthenticator: { client_id: "Iv1.abc" } } } },
            valueYamlFiles: [secret(stringAsset(toYaml({
                hub: { cookieSecret: "cookie-hex", config: { GitHubOAuthenticator: { client_secret: "gh-secret" } } },
                proxy: { secretToken: "token-hex" },
            })))],
        };
        const checked = checkRelease(formerDelivery);
        assert.strictEqual(checked.valueYamlFiles, undefined, "the Release struct has no valueYamlFiles field");
        assert.deepStrictEqual(plaintextSecrets(checked, ["cookie-hex", "gh-secret", "token-hex"]).sort(), [
            "values.hub.config.GitHubOAuthenticator.client_secret", "values.hub.cookieSecret", "values.proxy.secretToken",
        ]);
    });

    it("keeps secret exactly the leaves that were secret in the program's values, lists as a whole", () => {
        const checked = checkRelease({
            values: {
                hub: { cookieSecret: secret("cookie-hex"), config: { CryptKeeper: { keys: [secret("crypt-hex")] } } },
                singleuser: { extraEnv: { A: "public" } },
            },
        }) as any;
        assert.deepStrictEqual(plaintextSecrets(checked, ["cookie-hex", "crypt-hex"]), []);
        assert.strictEqual(checked.values.singleuser.extraEnv.A, "public");
        assert.deepStrictEqual(checked.values.hub.config.CryptKeeper.keys, secret(["crypt-hex"]));
    });

    it("merges the files in order, then the inline values over them, as helm.MergeMaps does", () => {
        const checked = checkRelease({
            values: { cull: { timeout: 60 } },
            valueYamlFiles: [stringAsset("cull: {timeout: 1, every: 2}\nlist: [1]\n"), stringAsset("cull: {every: 3}\nlist: [2]\n")],
        });
        assert.deepStrictEqual(stripSecrets(checked.values), { cull: { timeout: 60, every: 3 }, list: [2] });
    });
});

describe("model: the first preview against an empty cluster", () => {
    it("fails a read of an object the program creates in the same update, as the engine's ReadStep does", async () => {
        useMocks({ mode: "empty-cluster-preview" });
        const k8s = await import("@pulumi/kubernetes");
        new k8s.core.v1.Namespace("research-namespace", { metadata: { name: "research" } });
        const service = k8s.core.v1.Service.get("research-proxy-public", "research/proxy-public");
        await assert.rejects((service.status as unknown as { promise(): Promise<unknown> }).promise(), /does not exist yet on an empty cluster/);
    });

    it("skips a read whose ID is unknown, and reads an operator's object that exists", async () => {
        const recorder = useMocks({ mode: "empty-cluster-preview" });
        const k8s = await import("@pulumi/kubernetes");
        const release = new k8s.helm.v3.Release("r", { chart: "jupyterhub", namespace: "research" });
        const unknownId = k8s.core.v1.Service.get("svc", release.status.apply(s => `${s.namespace}/proxy-public`));
        const operatorClass = k8s.storage.v1.StorageClass.get("class", "csi-retain");
        assert.strictEqual(await settledValueOf(operatorClass.reclaimPolicy), "Retain");
        assert.strictEqual(await settledValueOf(unknownId.status), undefined, "nothing is read while the ID is unknown");
        assert.ok(recorder.resources.some(r => r.name === "svc" && r.readId === pulumi.runtime.unknownValue));
        assert.ok(recorder.resources.some(r => r.readId === "csi-retain"));
    });
    // Every example stack's first preview runs in this mode in tests/plan.test.ts (npm run plan -- --first-preview).
});

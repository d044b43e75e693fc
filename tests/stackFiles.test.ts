import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { listStacks, parseStackFile, readStackFile } from "../scripts/stackConfig";
import { CONFIG_NAMESPACE, parseFleetConfig } from "../components/config";

const ROOT = path.join(__dirname, "..");
/** The example stacks' passphrase, documented in README.md ("Secrets"). */
const EXAMPLE_PASSPHRASE = "jupyterhub-fleet-example";

/** Pulumi's passphrase provider: PBKDF2-SHA256 (1e6 rounds, salt from `encryptionsalt`), then AES-256-GCM. */
function decrypter(encryptionSalt: string): (ciphertext: string) => string {
    const [, salt] = encryptionSalt.split(":");
    const key = crypto.pbkdf2Sync(EXAMPLE_PASSPHRASE, Buffer.from(salt, "base64"), 1_000_000, 32, "sha256");
    return ciphertext => {
        const [version, nonce, sealed] = ciphertext.split(":");
        assert.strictEqual(version, "v1");
        const bytes = Buffer.from(sealed, "base64");
        const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
        decipher.setAuthTag(bytes.subarray(bytes.length - 16));
        return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString("utf8");
    };
}

function secureLeaves(value: unknown, at: string[] = []): [string, string][] {
    if (value && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (Object.keys(record).length === 1 && typeof record.secure === "string") return [[at.join("."), record.secure]];
        return Object.entries(record).flatMap(([k, v]) => secureLeaves(v, [...at, k]));
    }
    return [];
}

describe("example stack files", () => {
    for (const stack of listStacks(ROOT)) {
        describe(`Pulumi.${stack}.yaml`, () => {
            it("validates against the config schema", () => {
                const { config, secretKeys } = readStackFile(stack, ROOT);
                const raw = Object.fromEntries(Object.entries(config)
                    .filter(([key]) => key.startsWith(`${CONFIG_NAMESPACE}:`))
                    .map(([key, value]) => [key.slice(CONFIG_NAMESPACE.length + 1), JSON.parse(value)]));
                const fleet = parseFleetConfig(raw, { stack, secretKeys: secretKeys.map(k => k.slice(CONFIG_NAMESPACE.length + 1)) });
                assert.ok(Object.keys(fleet.hubs).length > 0);
            });

            it("holds secrets the documented example passphrase decrypts", () => {
                const document = parseYaml(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
                const leaves = secureLeaves(document.config);
                if (leaves.length === 0) return;
                assert.ok(document.encryptionsalt, "secure values need the stack's encryptionsalt");
                const decrypt = decrypter(document.encryptionsalt);
                assert.strictEqual(decrypt(document.encryptionsalt.split(":").slice(2).join(":")), "pulumi");
                for (const [where, ciphertext] of leaves) {
                    assert.ok(decrypt(ciphertext).length > 0, `${where} is empty`);
                }
            });
        });
    }
});

describe("stack file reader", () => {
    it("resolves YAML merge keys, as the Pulumi CLI does", () => {
        const { config } = parseStackFile([
            "config:",
            "  jupyterhub-fleet:clusters:",
            "    a: &cluster { provider: aws, region: us-west-2, nodePools: { core: { machineType: r5.large, minNodes: 1, maxNodes: 2 } } }",
            "    b:",
            "      <<: *cluster",
            "      region: us-east-1",
        ].join("\n"));
        assert.deepStrictEqual(JSON.parse(config["jupyterhub-fleet:clusters"]).b,
            { provider: "aws", region: "us-east-1", nodePools: { core: { machineType: "r5.large", minNodes: 1, maxNodes: 2 } } });
    });

    it("refuses a secure: value that is not ciphertext, and accepts both ciphertext shapes", () => {
        const { problems } = parseStackFile([
            "config:",
            "  jupyterhub-fleet:hubSecrets:",
            "    a: { auth: { clientSecret: { secure: my-client-secret } } }",
            "    b: { auth: { clientSecret: { secure: \"v1:AAAA\" } } }",
            "    c: { auth: { clientSecret: { secure: \"v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==\" } } }",
            "    d: { auth: { clientSecret: { secure: AAABAHc2dW9Zb3pMQ0V5Q1R6dGJNa3F6 } } }",
        ].join("\n"));
        assert.deepStrictEqual(problems, ["a", "b"].map(hub => `hubSecrets.${hub}.auth.clientSecret: the secure: value is not ciphertext ` +
            `(set it with pulumi config set --secret --path 'hubSecrets.${hub}.auth.clientSecret' '<value>', which encrypts it)`));
    });
});

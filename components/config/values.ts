/** Rules for a hub's raw z2jh `values`, the escape hatch. */
import { isPlainObject } from "../util";
import { PathPart, Problems, secretCommand } from "./errors";

const SECRET_VALUE_KEYS = /^(client_secret|clientSecret|cookieSecret|cookie_secret|secretToken|secret_token|password|api_token|apiToken|keys|url)$/;

/** Raw values are public (they show in previews and state); secrets there belong in hubSecrets.<hub>.values. */
export function checkValuesForSecrets(values: unknown, path: readonly PathPart[], hubKey: string, problems: Problems): void {
    if (!isPlainObject(values)) return;
    for (const [key, value] of Object.entries(values)) {
        const inDb = path[path.length - 1] === "db";
        if (SECRET_VALUE_KEYS.test(key) && (key !== "url" || inDb) && value !== null && value !== undefined && value !== "") {
            const secretPath = ["hubSecrets", hubKey, ...path.slice(2), key].join(".");
            problems.add([...path, key], "looks like a secret in plain config (it would show in previews, state and git)",
                `move it: pulumi config rm --path '${path.join(".")}.${key}' && ${secretCommand(secretPath, "<value>")}`);
        } else {
            checkValuesForSecrets(value, [...path, key], hubKey, problems);
        }
    }
}

import * as assert from "assert";
import { benchSizes } from "../scripts/bench";

describe("npm run bench arguments", () => {
    it("plans every default size without arguments, and only the sizes given with --hubs", () => {
        assert.deepStrictEqual(benchSizes([]), [25, 100, 400]);
        assert.deepStrictEqual(benchSizes(["--hubs", "25"]), [25]);
        assert.deepStrictEqual(benchSizes(["--hubs", "25,100", "--hubs", "7"]), [25, 100, 7]);
    });

    it("refuses what it cannot read, with the usage", () => {
        assert.throws(() => benchSizes(["--hubs"]), /--hubs takes positive whole numbers, not ""\nusage: npm run bench/);
        assert.throws(() => benchSizes(["--hubs", "0"]), /not "0"/);
        assert.throws(() => benchSizes(["--size", "25"]), /unknown argument --size/);
    });
});

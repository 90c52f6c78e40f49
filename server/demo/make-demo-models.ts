/**
 * Writes the demo model repository that `npm start` serves:
 *
 *   half_plus_two/1   a TF.js graph model with the computation and signatures of TF
 *                     Serving's test model of that name: y = 0.5x + 2, y2 = 0.5x + 3,
 *                     y3 = 0.5x2 + 3, served as serving_default, classify_x_to_y,
 *                     regress_x_to_y, regress_x_to_y2, regress_x2_to_y3, classify_x2_to_y3.
 *
 * Usage: node --import tsx demo/make-demo-models.ts <repository dir>
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

type Attr = Record<string, unknown>;
interface Node {
  name: string;
  op: string;
  input?: string[];
  attr?: Attr;
}

const FLOAT = { type: "DT_FLOAT" };
const batchOfOne = { shape: { dim: [{ size: "-1" }, { size: "1" }] } };

function placeholder(name: string): Node {
  return { name, op: "Placeholder", attr: { dtype: FLOAT, shape: batchOfOne } };
}
function scalarConst(name: string): Node {
  return {
    name,
    op: "Const",
    attr: { dtype: FLOAT, value: { tensor: { dtype: "DT_FLOAT", tensorShape: {} } } },
  };
}
function binary(op: string, name: string, a: string, b: string): Node {
  return { name, op, input: [a, b], attr: { T: FLOAT } };
}
function identity(name: string, input: string): Node {
  return { name, op: "Identity", input: [input], attr: { T: FLOAT } };
}

const constants: [string, number][] = [
  ["a", 0.5],
  ["b", 2],
  ["c", 3],
  ["a2", 0.5],
  ["c2", 3],
];

// The same node names as TF Serving's graph, so signatures name the same tensors (x:0, y:0...).
const nodes: Node[] = [
  placeholder("tf_example_x"),
  identity("x", "tf_example_x"),
  placeholder("tf_example_x2"),
  identity("x2", "tf_example_x2"),
  ...constants.map(([name]) => scalarConst(name)),
  binary("Mul", "Mul", "a", "x"),
  binary("AddV2", "y", "Mul", "b"),
  binary("Mul", "Mul_1", "a", "x"),
  binary("AddV2", "y2", "Mul_1", "c"),
  binary("Mul", "Mul_2", "a2", "x2"),
  binary("AddV2", "y3", "Mul_2", "c2"),
];

const tensor = (name: string) => ({
  dtype: "DT_FLOAT",
  tensor_shape: {
    dim: [
      { size: "-1", name: "" },
      { size: "1", name: "" },
    ],
    unknown_rank: false,
  },
  name,
});
const signature = (
  method: string,
  inputs: Record<string, string>,
  outputs: Record<string, string>,
) => ({
  inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tensor(v)])),
  outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, tensor(v)])),
  method_name: `tensorflow/serving/${method}`,
});

const signatures = {
  signature_def: {
    serving_default: signature("predict", { x: "x:0" }, { y: "y:0" }),
    classify_x_to_y: signature("classify", { x: "x:0" }, { scores: "y:0" }),
    regress_x_to_y: signature("regress", { x: "x:0" }, { outputs: "y:0" }),
    regress_x_to_y2: signature("regress", { x: "x:0" }, { outputs: "y2:0" }),
    regress_x2_to_y3: signature("regress", { x2: "x2:0" }, { outputs: "y3:0" }),
    classify_x2_to_y3: signature("classify", { x2: "x2:0" }, { scores: "y3:0" }),
  },
};

async function writeHalfPlusTwo(repository: string): Promise<void> {
  const dir = join(repository, "half_plus_two", "1");
  await rm(join(repository, "half_plus_two"), { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const weights = Buffer.from(new Float32Array(constants.map(([, v]) => v)).buffer);
  const modelJson = {
    format: "graph-model",
    generatedBy: "servable demo/make-demo-models.ts",
    convertedBy: null,
    modelTopology: { node: nodes, library: {}, versions: { producer: 1395 } },
    weightsManifest: [
      {
        paths: ["group1-shard1of1.bin"],
        weights: constants.map(([name]) => ({ name, shape: [], dtype: "float32" })),
      },
    ],
  };
  await writeFile(join(dir, "model.json"), `${JSON.stringify(modelJson, null, 2)}\n`);
  await writeFile(join(dir, "group1-shard1of1.bin"), weights);
  await writeFile(join(dir, "signatures.json"), `${JSON.stringify(signatures, null, 2)}\n`);
}

const repository = process.argv[2];
if (!repository) {
  process.stderr.write("usage: make-demo-models.ts <repository dir>\n");
  process.exit(2);
}
void writeHalfPlusTwo(repository);

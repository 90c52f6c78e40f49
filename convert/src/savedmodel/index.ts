/** TF.js LayersModels as frozen TensorFlow SavedModels, and the GraphDef pieces they are built of. */
export {
  buildMetaGraph,
  GRAPH_DEF_PRODUCER,
  writeMetaGraph,
  writeSavedModel,
  type WrittenSavedModel,
} from "./write-saved-model";
export { EXPORTABLE_LAYERS } from "./layer-graph";
export { constNode, GraphBuilder } from "./graph-builder";
export { opDef } from "./op-defs";

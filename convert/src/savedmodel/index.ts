/** The SavedModel writer: TF.js LayersModels as frozen TensorFlow SavedModels. */
export {
  buildMetaGraph,
  GRAPH_DEF_PRODUCER,
  writeSavedModel,
  type WrittenSavedModel,
} from "./write-saved-model";
export { EXPORTABLE_LAYERS, UnexportableLayerError } from "./layer-graph";

/** A SavedModel graph that Servable cannot turn into something it runs; the message says why. */
export class GraphError extends Error {}

/** What the cross-part tests share: real processes, their clients, and model versions. */
export * from "./child-process";
export * from "./management-client";
export * from "./model-versions";
export * from "./server-process";
export * from "./test-servers";
export * from "./tf-serving-grpc";

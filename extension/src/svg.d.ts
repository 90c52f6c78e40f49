/** SVG files imported from code arrive as their source text (the labextension builder's rule). */
declare module "*.svg" {
  const source: string;
  export default source;
}

/** The notebook-facing API of Servable. */
export const SERVABLE_DEFAULT_URL = "http://localhost:8501";

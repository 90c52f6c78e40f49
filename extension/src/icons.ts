import { LabIcon } from "@jupyterlab/ui-components";
import servableSvg from "../style/icons/servable.svg";

/** The sidebar tab's icon; its `jp-icon*` classes take the theme's colours. */
export const servableIcon = new LabIcon({ name: "servable:logo", svgstr: servableSvg });

import { ReactWidget } from "@jupyterlab/ui-components";
import React from "react";
import { ServablePanel } from "../components/ServablePanel";
import { servableIcon } from "../icons";
import type { IServableModel } from "../tokens";

export const SIDEBAR_ID = "servable-sidebar";

/** The left-sidebar widget: a Lumino home for the React panel. */
export class ServableSidebar extends ReactWidget {
  constructor(
    private readonly model: IServableModel,
    private readonly openSettings: () => void,
  ) {
    super();
    this.id = SIDEBAR_ID;
    this.title.icon = servableIcon;
    this.title.caption = "Servable";
    this.addClass("jp-Servable-sidebar");
  }

  protected render(): React.ReactElement {
    return <ServablePanel model={this.model} onOpenSettings={this.openSettings} />;
  }
}

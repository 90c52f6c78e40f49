import type { JupyterFrontEnd } from "@jupyterlab/application";
import { Notification, type ICommandPalette } from "@jupyterlab/apputils";
import { refreshIcon, settingsIcon } from "@jupyterlab/ui-components";
import { CommandIDs, type IServableModel } from "./tokens";

const CATEGORY = "Servable";

/** The sidebar's commands, and their places in the command palette. */
export function addCommands(
  app: JupyterFrontEnd,
  model: IServableModel,
  palette: ICommandPalette | null,
): void {
  const { commands } = app;

  commands.addCommand(CommandIDs.refresh, {
    label: "Refresh Servable Models",
    caption: "Read the served models and the exported ones now",
    icon: refreshIcon,
    execute: () => model.refresh(),
  });

  commands.addCommand(CommandIDs.deploySelected, {
    label: "Deploy Selected Exported Model Version",
    caption: "Upload the version selected under Exported to the serving server",
    isEnabled: () => model.selectedExported !== null,
    execute: async () => {
      const selected = model.selectedExported;
      if (!selected) return;
      try {
        await model.deploy(selected);
        Notification.success(`Deployed ${selected.name} version ${selected.version}`, {
          autoClose: 3000,
        });
      } catch (error) {
        Notification.error(
          `Deploying ${selected.name} version ${selected.version} failed: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      }
    },
  });
  model.selectionChanged.connect(() => commands.notifyCommandChanged(CommandIDs.deploySelected));

  commands.addCommand(CommandIDs.openSettings, {
    label: "Open Servable Settings",
    caption: "Server URL, token, models folder, polling interval",
    icon: settingsIcon,
    execute: () => commands.execute("settingeditor:open", { query: "Servable" }),
  });

  for (const command of Object.values(CommandIDs))
    palette?.addItem({ command, category: CATEGORY });
}

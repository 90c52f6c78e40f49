import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin,
} from "@jupyterlab/application";
import { ICommandPalette, Notification } from "@jupyterlab/apputils";
import { ISettingRegistry } from "@jupyterlab/settingregistry";
import { addCommands } from "./commands";
import { KernelActivity } from "./kernel-activity";
import { ServableModel } from "./model";
import { readSettings } from "./settings";
import { CommandIDs, IServableModel, PLUGIN_ID } from "./tokens";
import { ServableSidebar } from "./widgets/ServableSidebar";
import { ContentsExportedModels } from "./workspace";

/** Wiring only: the model, the sidebar, the commands, the settings. */
const plugin: JupyterFrontEndPlugin<IServableModel> = {
  id: PLUGIN_ID,
  description: "A sidebar of the models a Servable server serves and of the exported ones.",
  autoStart: true,
  provides: IServableModel,
  requires: [ISettingRegistry],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    registry: ISettingRegistry,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
  ): IServableModel => {
    const model = new ServableModel({
      exportedModels: new ContentsExportedModels(app.serviceManager.contents),
      autoStart: false,
    });
    const sidebar = new ServableSidebar(model, () => {
      void app.commands.execute(CommandIDs.openSettings);
    });
    app.shell.add(sidebar, "left", { rank: 600 });
    restorer?.add(sidebar, sidebar.id);
    addCommands(app, model, palette);
    // An automatic rollback reaches whoever is in JupyterLab, sidebar open or not.
    let announced = 0;
    model.noticesChanged.connect((_, notices) => {
      for (const notice of notices.filter((n) => n.id > announced)) {
        Notification.warning(notice.text, { autoClose: false });
        announced = notice.id;
      }
    });
    // A notebook that deploys or labels shows in the sidebar when its cell finishes.
    new KernelActivity(app.serviceManager.kernels, () => model.refreshSoon());

    void registry.load(PLUGIN_ID).then(
      (settings) => {
        model.configure(readSettings(settings));
        settings.changed.connect(() => model.configure(readSettings(settings)));
        model.start();
      },
      (error: unknown) => {
        console.error(`Servable: cannot read the settings of ${PLUGIN_ID}`, error);
        model.start();
      },
    );
    return model;
  },
};

export default plugin;

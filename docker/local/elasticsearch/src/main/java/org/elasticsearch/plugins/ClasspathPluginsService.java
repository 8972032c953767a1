package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link PluginsService} that, on top of whatever the (empty) {@link PluginsLoader} found on disk,
 * instantiates plugin classes that are already on the application class path.
 *
 * <p>In the {@code org.elasticsearch.plugins} package because {@link PluginsService.LoadedPlugin}
 * and {@link PluginsService#loadPlugin} are package-private.
 */
public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> all;
    private final PluginsAndModules info;

    public ClasspathPluginsService(
        Settings settings,
        Path configDir,
        PluginsLoader pluginsLoader,
        List<Class<? extends Plugin>> pluginClasses
    ) {
        super(settings, configDir, pluginsLoader);
        List<LoadedPlugin> loaded = new ArrayList<>();
        List<PluginRuntimeInfo> runtimeInfos = new ArrayList<>(super.info().getPluginInfos());
        for (Class<? extends Plugin> pluginClass : pluginClasses) {
            Plugin instance = loadPlugin(pluginClass, settings, configDir);
            PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getSimpleName(),
                "loaded from the class path by the Casetrack launcher",
                Build.current().version(),
                Build.current().version(),
                "17",
                pluginClass.getName(),
                null,
                List.of(),
                false,
                false,
                false,
                false
            );
            loaded.add(new LoadedPlugin(descriptor, instance, pluginClass.getClassLoader()));
            runtimeInfos.add(new PluginRuntimeInfo(descriptor));
        }
        loaded.addAll(super.plugins());
        this.all = List.copyOf(loaded);
        this.info = new PluginsAndModules(runtimeInfos, super.info().getModuleInfos());
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return all;
    }

    @Override
    public PluginsAndModules info() {
        return info;
    }
}

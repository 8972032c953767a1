package org.elasticsearch.node;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.List;

/**
 * A {@link Node} whose plugins are classes already on the JVM class path instead of bundles
 * unpacked under {@code modules/} and {@code plugins/}.
 *
 * <p>The distribution's bootstrap (security manager/entitlements, bootstrap checks, the
 * "don't run as root" check, plugin class loader layers) is not used: this node is built
 * straight from its {@link Environment}. This class lives in the {@code org.elasticsearch.node}
 * package only because the hook that chooses the {@link PluginsService} implementation
 * ({@code NodeServiceProvider#newPluginService}) is package-private.
 */
public class CasetrackLocalNode extends Node {

    public CasetrackLocalNode(Environment environment, List<Class<? extends Plugin>> classpathPlugins) {
        this(environment, PluginsLoader.createPluginsLoader(java.util.Set.of(), java.util.Set.of(), java.util.Map.of(), false),
            classpathPlugins);
    }

    private CasetrackLocalNode(Environment environment, PluginsLoader loader, List<Class<? extends Plugin>> classpathPlugins) {
        super(NodeConstruction.prepareConstruction(environment, loader, new ClasspathServiceProvider(classpathPlugins), true));
    }

    /** Supplies a plugins service that instantiates the given plugin classes. */
    private static final class ClasspathServiceProvider extends NodeServiceProvider {
        private final List<Class<? extends Plugin>> pluginClasses;

        ClasspathServiceProvider(List<Class<? extends Plugin>> pluginClasses) {
            this.pluginClasses = List.copyOf(pluginClasses);
        }

        @Override
        PluginsService newPluginService(Environment environment, PluginsLoader pluginsLoader) {
            return new ClasspathPluginsService(environment.settings(), environment.configDir(), pluginsLoader, pluginClasses);
        }
    }
}

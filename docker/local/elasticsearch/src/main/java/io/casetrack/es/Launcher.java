package io.casetrack.es;

import io.casetrack.es.analysis.CasetrackAnalysisPlugin;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.CasetrackLocalNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts one Elasticsearch 8 node inside this JVM, for local development and CI only.
 *
 * <pre>
 * java -Xms256m -Xmx512m -jar es-launcher.jar --home DIR [--port 19200] [--transport-port PORT+100]
 *      [--host 127.0.0.1] [--cluster-name casetrack-local] [--pid-file FILE] [-E key=value ...]
 * </pre>
 *
 * Under {@code DIR}: {@code config/} (an optional {@code elasticsearch.yml} is honoured; a console-only
 * {@code log4j2.properties} is written on every start), {@code data/}, {@code logs/}, {@code tmp/}.
 * The node is single-node, HTTP and transport bound to loopback, no security (x-pack is not on the
 * class path), mmap disabled (no vm.max_map_count requirement) and disk watermarks off.
 * Bootstrap checks and the refusal to run as root belong to the distribution's bootstrap
 * ({@code org.elasticsearch.bootstrap.Elasticsearch}), which is not used here, so the node also runs as root.
 * Stops cleanly on SIGTERM/SIGINT.
 */
public final class Launcher {

    private static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,
        CasetrackAnalysisPlugin.class,
        RootEndpointPlugin.class
    );

    private static final String LOG4J2 = """
        status = error
        appender.console.type = Console
        appender.console.name = console
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%consoleException%n
        rootLogger.level = info
        rootLogger.appenderRef.console.ref = console
        # quiet the one-off noise of a class-path node
        logger.deprecation.name = org.elasticsearch.deprecation
        logger.deprecation.level = error
        logger.nativeaccess.name = org.elasticsearch.nativeaccess
        logger.nativeaccess.level = error
        logger.features.name = org.elasticsearch.features.FeatureService
        logger.features.level = warn
        """;

    private Launcher() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        Settings.Builder extra = Settings.builder();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.equals("-E") && i + 1 < argv.length) {
                String kv = argv[++i];
                int eq = kv.indexOf('=');
                if (eq <= 0) usage("bad -E " + kv);
                extra.put(kv.substring(0, eq), kv.substring(eq + 1));
            } else if (a.startsWith("--") && i + 1 < argv.length) {
                opts.put(a.substring(2), argv[++i]);
            } else if (a.equals("--help") || a.equals("-h")) {
                usage(null);
            } else {
                usage("unexpected argument " + a);
            }
        }
        String homeArg = opts.remove("home");
        if (homeArg == null) usage("--home is required");
        Path home = Path.of(homeArg).toAbsolutePath().normalize();
        int port = Integer.parseInt(opts.getOrDefault("port", "19200"));
        int transportPort = Integer.parseInt(opts.getOrDefault("transport-port", Integer.toString(port + 100)));
        String host = opts.getOrDefault("host", "127.0.0.1");
        String clusterName = opts.getOrDefault("cluster-name", "casetrack-local");
        String pidFile = opts.get("pid-file");

        Path config = home.resolve("config");
        for (String d : List.of("config", "data", "logs", "tmp", "plugins", "modules")) {
            Files.createDirectories(home.resolve(d));
        }
        // ours, rewritten on every start; tune levels with -E logger.<name>=<level>
        Files.writeString(config.resolve("log4j2.properties"), LOG4J2, StandardCharsets.UTF_8);

        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", clusterName)
            .put("node.name", "casetrack-es")
            .put("discovery.type", "single-node")
            .put("network.host", host)
            .put("http.port", port)
            .put("transport.port", transportPort)
            .put("http.type", Netty4Plugin.NETTY_HTTP_TRANSPORT_NAME)
            .put("transport.type", Netty4Plugin.NETTY_TRANSPORT_NAME)
            .put("node.store.allow_mmap", false)
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", true)
            .put(extra.build())
            .build();

        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), config, () -> "casetrack-es");
        LogConfigurator.setClusterName(clusterName);
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(env.settings()));
        LogConfigurator.configure(env, true);

        if (pidFile != null) {
            Files.writeString(Path.of(pidFile), ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8);
        }

        final Node node = new CasetrackLocalNode(env, PLUGINS);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.prepareForClose();
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "casetrack-es-shutdown"));
        try {
            node.start();
        } catch (Throwable t) {
            t.printStackTrace();
            System.err.println("casetrack-es: failed to start: " + t);
            Runtime.getRuntime().halt(1);
        }
        System.out.println("casetrack-es: started on http://" + host + ":" + port);
        stopped.await();
    }

    private static void usage(String error) {
        if (error != null) System.err.println("error: " + error);
        System.err.println(
            "usage: java -jar es-launcher.jar --home DIR [--port 19200] [--transport-port N] [--host 127.0.0.1]"
                + " [--cluster-name NAME] [--pid-file FILE] [-E key=value ...]"
        );
        System.exit(error == null ? 0 : 2);
    }
}

// DynamoDB Local on 127.0.0.1 only: its command line has no bind address and
// its Jetty connector listens on every interface, without authentication.
// This does what its ServerRunner.main does, with the connector's host set
// before the server starts. `dev` compiles it against the pinned jar.

import java.io.File;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.CommandLineInput;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.monitoring.Telemetry;
import software.amazon.dynamodb.services.local.monitoring.TelemetryUtil;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDBLocal {
    static final String HOST = "127.0.0.1";

    public static void main(String[] args) throws Exception {
        CommandLineInput input = new CommandLineInput(args);
        if (!input.init()) {
            return; // -help or -version
        }
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        // The Jetty server is private to the proxy; without it there is no bind address to set.
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        Connector[] connectors = server.getConnectors();
        if (connectors.length == 0) {
            fail("DynamoDB Local has no connector to bind to " + HOST);
        }
        for (Connector connector : connectors) {
            if (!(connector instanceof ServerConnector)) {
                fail("DynamoDB Local has a connector that cannot be bound to " + HOST + ": " + connector);
            }
            ((ServerConnector) connector).setHost(HOST);
        }
        try {
            Telemetry.configureTelemetry(
                    TelemetryUtil.getSetupType(new File("/.dockerenv"), new File("pom.xml")),
                    ServerRunner.getSetupMode(input),
                    TelemetryUtil.isTelemetryEnabled(input.isDisableTelemetry()));
        } catch (Exception e) {
            // As ServerRunner.main: telemetry never stops the server.
        }
        // start() throws on most failures, but a socket error it only prints, stopping the server.
        proxy.start();
        if (!server.isStarted()) {
            fail("DynamoDB Local did not start on " + HOST + ":" + input.getPort());
        }
        for (Connector connector : connectors) {
            ServerConnector bound = (ServerConnector) connector;
            System.out.println("DynamoDB Local listens on " + bound.getHost() + ":" + bound.getLocalPort());
        }
    }

    private static void fail(String message) {
        System.err.println(message);
        System.exit(1);
    }
}

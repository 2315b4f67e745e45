// DynamoDB Local, listening on 127.0.0.1 only. Its own main (ServerRunner) has
// no bind-address flag or property: it builds a Jetty `new Server(port)`, whose
// connector has no host and so listens on every interface, letting anyone on
// the network read and write every table. This launcher takes the same
// arguments, builds the server the same way, gives its connectors the loopback
// host before they open, then starts it. Run by dynamodb-local.mjs as a Java
// source file (`java … DynamoDbLocalOnLoopback.java <args>`): nothing to build.
//
// It leaves out what ServerRunner.main adds around that: setting up telemetry
// (so none is sent) and printing the banner.

import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.Server;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDbLocalOnLoopback {
  static final String HOST = "127.0.0.1";

  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    // The Jetty server is private to DynamoDBProxyServer; a class on the class
    // path may still read it. If a release renames it, this throws and the
    // emulator does not start: never a fallback to every interface.
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind to " + HOST);
    for (Connector connector : connectors) {
      if (!(connector instanceof AbstractNetworkConnector)) throw new IllegalStateException("unexpected connector " + connector);
      ((AbstractNetworkConnector) connector).setHost(HOST);
    }
    proxy.start();
    System.out.println("DynamoDB Local listening on " + HOST);
  }
}

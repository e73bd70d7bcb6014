package io.p2pd.cli;

import io.p2pd.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code p2pd} command. Exit codes: 0 ok, 1 failure, 2 usage. Errors go to stderr as one line: a usage error
 * names the problem and points to {@code --help} rather than printing the whole usage.
 */
@Command(name = "p2pd", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Pipes for TCP and UDP, interfaces and routes, STUN and NAT detection, peer addresses and an "
                + "MQTT broker for signalling.",
        subcommands = {DemoCommand.class, InterfacesCommand.class, StunCommand.class, StunServerCommand.class,
            NatCommand.class, EchoCommand.class, ConnectCommand.class, ForwardCommand.class, NodeCommand.class,
            BrokerCommand.class, AddressCommand.class, TurnCommand.class, PeerCommand.class,
            CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((error, args1) -> {
            CommandLine where = error.getCommandLine();
            String name = where.getCommandSpec().qualifiedName();
            where.getErr().println(name + ": " + error.getMessage() + " (see '" + name + " --help')");
            return where.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((error, commandLine, parseResult) -> {
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + describe(error));
            return 1;
        });
        return cli.execute(args);
    }

    /** The version the build wrote into {@code version.properties}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in == null) {
                    throw new IOException("version.properties is missing from the p2pd jar");
                }
                p.load(in);
            }
            return new String[] {"p2pd " + p.getProperty("version")};
        }
    }

    /**
     * Runs a command whose {@code --json} output a script reads: a failure (not a usage error) is then a JSON object
     * on stdout too, {@code {"error": "...", "code": 1}} where code is the exit status.
     */
    static int jsonOnFailure(CommandLine cli, boolean json, Callable<Integer> command) throws Exception {
        if (!json) {
            return command.call();
        }
        try {
            return command.call();
        } catch (CommandLine.ParameterException e) {
            throw e;
        } catch (RuntimeException e) {
            PrintWriter out = cli.getOut();
            out.println(Json.write(JsonFields.of("error", describe(e), "code", 1)));
            out.flush();
            return 1;
        }
    }

    /** One line naming the cause: the innermost meaningful message, without wrapper exceptions. */
    static String describe(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}

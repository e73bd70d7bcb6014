package io.p2pd.cli;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code p2pd} command. Exit codes: 0 ok, 1 failure, 2 usage. Errors go to stderr as one line. */
@Command(name = "p2pd", mixinStandardHelpOptions = true, version = "p2pd 0.1.0",
        description = "Pipes for TCP and UDP, interfaces and routes, STUN and NAT detection.",
        subcommands = {DemoCommand.class, InterfacesCommand.class, StunCommand.class, StunServerCommand.class,
            NatCommand.class, EchoCommand.class, ConnectCommand.class, ForwardCommand.class,
            CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((error, commandLine, parseResult) -> {
            commandLine.getErr().println("p2pd " + commandLine.getCommandName() + ": " + describe(error));
            return 1;
        });
        return cli.execute(args);
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

package io.p2pd.pipe;

/**
 * Counters of one pipe, read at one moment.
 *
 * @param received       messages received (datagrams, chunks or frames)
 * @param receivedBytes  their bytes
 * @param sent           sends handed to the OS
 * @param sentBytes      their bytes
 * @param dropped        UDP messages dropped because a queue was full (the oldest go first) or a handler lagged,
 *                       and messages a linked pipe could not carry because it had ended
 * @param oversized      UDP datagrams dropped because they were larger than {@code readerLimit}
 * @param duplicates     messages dropped by duplicate suppression
 * @param handlerErrors  handlers that threw or whose stage failed
 * @param peakPendingBytes the most bytes that waited in memory to be written at once: bounded when the pipe's
 *                       writers respect back-pressure (linked pipes do); for a TCP server, the most of any one
 *                       connection
 * @param acceptedConnections TCP servers: connections accepted and kept (zero for other pipes)
 * @param refusedConnections  TCP servers: connections closed at once because of
 *                       {@link ServerLimits#maxConnections()} or {@link ServerLimits#maxConnectionsPerIp()}
 * @param timedOutConnections TCP servers: connections closed by {@link ServerLimits#firstMessageTimeout()},
 *                       {@link ServerLimits#idleTimeout()} or {@link ServerLimits#writeStallTimeout()}
 *
 * <p>A TCP server's counts are the sums over its connections, those still open and those that ended.
 */
public record PipeStats(long received, long receivedBytes, long sent, long sentBytes, long dropped, long oversized,
                        long duplicates, long handlerErrors, long peakPendingBytes, long acceptedConnections,
                        long refusedConnections, long timedOutConnections) {

    /** The counts of {@code this} and {@code other} added up; the larger peak. Connection counts are this one's. */
    PipeStats plus(PipeStats other) {
        return new PipeStats(received + other.received, receivedBytes + other.receivedBytes, sent + other.sent,
                sentBytes + other.sentBytes, dropped + other.dropped, oversized + other.oversized,
                duplicates + other.duplicates, handlerErrors + other.handlerErrors,
                Math.max(peakPendingBytes, other.peakPendingBytes), acceptedConnections, refusedConnections,
                timedOutConnections);
    }
}

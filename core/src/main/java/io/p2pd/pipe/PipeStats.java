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
 *                       writers respect back-pressure (linked pipes do)
 */
public record PipeStats(long received, long receivedBytes, long sent, long sentBytes, long dropped, long oversized,
                        long duplicates, long handlerErrors, long peakPendingBytes) {
}
